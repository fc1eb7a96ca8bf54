"""What the site model becomes: HTML through a thin MkDocs adapter, feeds, the search index, files for web
hosts, the atomic build and deploys."""
