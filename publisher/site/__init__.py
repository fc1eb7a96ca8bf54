"""The site model and how it is rendered: published, draft and scheduled items with their URLs, each body
converted once, and every page rendered through escaping templates."""
