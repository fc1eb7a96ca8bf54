"""`publisher new`: start a source file from a template that passes `publisher check` once filled in."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

PLACEHOLDER = "TODO"

_BULLETIN = """\
---
title: "{title}"
date: {today}
summary: "TODO: one sentence saying what this {noun} is about (at most 300 characters)"
topics: [TODO-choose-from-content-taxonomy-yml]
author: Communications team
type: {type}
status: draft
---

TODO: write an opening paragraph. When the {noun} is ready, delete the line 'status: draft'.

## First section

TODO: write the first section.
"""

_TOOLKIT = """\
---
title: "{title}"
summary: "TODO: one sentence saying who this toolkit helps and how"
setting: TODO-choose-a-setting-from-content-taxonomy-yml
audience: "TODO: who the toolkit is for, e.g. practice managers hosting a placement"
last_reviewed: {today}
review_due: {next_year}
downloads: []
links: []
opportunities: []
---

## Before the placement

TODO: what the host needs to do first.
"""

_ENTRY = """\
---
title: "{title}"
organisation: "TODO: the organisation that runs it"
summary: "TODO: one sentence on what the initiative does and for whom"
region: TODO-choose-a-region
topics: [widening-participation]
approaches: [TODO-choose-approaches]
audiences: [TODO-choose-audiences]
evidence: TODO-choose-an-evidence-level
started: {year}
---

## What they did

TODO

## Outcomes

TODO

## What others can learn

TODO
"""


def slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:60].rstrip("-") or "untitled"


def new_source(root: Path, kind: str, title: str, today: date) -> Path:
    """Write the new file and return its path. Raises FileExistsError rather than overwrite."""
    slug = slugify(title)
    quoted = title.replace("\\", "\\\\").replace('"', '\\"')
    values = {"title": quoted, "today": today.isoformat(), "year": today.year,
              "next_year": today.replace(year=today.year + 1).isoformat() if not (today.month == 2 and today.day == 29)
              else date(today.year + 1, 3, 1).isoformat(),
              "noun": "news item" if kind == "news" else "bulletin",
              "type": "news" if kind == "news" else "bulletin"}
    if kind in ("bulletin", "news"):
        path, template = root / "bulletins" / f"{today.isoformat()}-{slug}.md", _BULLETIN
    elif kind == "toolkit":
        path, template = root / "toolkits" / slug / "index.md", _TOOLKIT
    else:
        path, template = root / "content" / "directory" / f"{slug}.md", _ENTRY
    if path.exists():
        raise FileExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(template.format(**values), encoding="utf-8")
    return path
