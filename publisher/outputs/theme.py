"""What our theme takes from Material for MkDocs, and what keeps using it quick.

Only Material's stylesheets are used; their file names carry a content hash that changes with every Material
release, so they are looked up rather than written into base.html.
"""

from __future__ import annotations

import os
from pathlib import Path

from jinja2 import Environment, FileSystemLoader

STYLESHEETS = ("main", "palette")  # the layout and the colour variables; Material's JavaScript is not used


def material_stylesheets() -> list[str]:
    """Site paths of Material's stylesheets, e.g. ["assets/stylesheets/main.57a0d79d.min.css", ...]."""
    import material

    folder = Path(material.__file__).parent / "templates" / "assets" / "stylesheets"
    found = []
    for name in STYLESHEETS:
        matches = sorted(folder.glob(f"{name}.*.min.css"))
        if len(matches) != 1:
            raise RuntimeError(f"expected one {name}.*.min.css in {folder}, found {len(matches)}; "
                               "is mkdocs-material installed correctly?")
        found.append(f"assets/stylesheets/{matches[0].name}")
    return found


class ThemeLoader(FileSystemLoader):
    """The theme's loader, listing its files without those in hidden folders.

    MkDocs lists the theme's files on every build to copy the static ones, and leaves out every name in a hidden
    folder; Material keeps thousands of icons in one (`.icons`), and walking and filtering them took about a third
    of a second per build. Loading is unchanged, so the templates' icons are found as before.
    """

    def list_templates(self) -> list[str]:
        found: set[str] = set()
        for searchpath in self.searchpath:
            for folder, subfolders, names in os.walk(searchpath, followlinks=self.followlinks):
                subfolders[:] = [name for name in subfolders if not name.startswith(".")]
                relative = Path(folder).relative_to(searchpath).as_posix()
                found.update(name if relative == "." else f"{relative}/{name}" for name in names)
        return sorted(found)


def list_theme_quickly(theme) -> None:
    """Give every environment MkDocs makes for this theme a `ThemeLoader` over the same folders."""
    make_env = theme.get_env

    def get_env() -> Environment:
        env = make_env()
        env.loader = ThemeLoader(theme.dirs)
        return env

    theme.get_env = get_env
