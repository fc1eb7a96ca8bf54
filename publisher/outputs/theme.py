"""What our theme takes from Material for MkDocs: only its stylesheets, whose file names carry a content hash
that changes with every Material release, so they are looked up rather than written into base.html."""

from __future__ import annotations

from pathlib import Path

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
