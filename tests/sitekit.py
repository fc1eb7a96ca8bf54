"""Build small, real sites in temporary folders for tests."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EPOCH_2026_11_01 = "1793491200"  # 2026-11-01T00:00:00Z, the fixed "now" of test builds

TAXONOMY = """\
topics:
{topics}
regions:
  london: {{label: London, description: The London region.}}
  north-west: {{label: North West, description: The North West region.}}
  national: {{label: National, description: Across England.}}
settings:
  general-practice: {{label: General practice, description: GP surgeries.}}
  dental: {{label: Dental, description: Dental practices.}}
  secondary-care: {{label: Secondary care, description: Hospitals.}}
  schools-and-careers: {{label: Schools and careers, description: Teachers and careers advisers.}}
  online: {{label: Online, description: Online work-related learning.}}
approaches:
  mentoring: {{label: Mentoring, description: One-to-one support.}}
  work-experience: {{label: Work experience, description: Placements.}}
audiences:
  school-pupils: {{label: School pupils, description: Pupils aged 14 to 18.}}
  care-leavers: {{label: Care leavers, description: Young people leaving care.}}
evidence:
  emerging: {{label: Emerging, description: Early results only.}}
  independently-evaluated: {{label: Independently evaluated, description: Evaluated by an outside body.}}
"""
TOPICS = ("covid-19", "medical-and-dental", "mental-health", "nursing-and-midwifery", "allied-health-professions",
          "primary-care", "workforce-and-education", "widening-participation", "work-experience",
          "equality-diversity-and-inclusion", "digital-and-technology", "patient-safety", "rural-and-coastal")

MKDOCS_YML = """\
site_name: Test site
site_url: https://example.org/
docs_dir: content
theme:
  name: material
  font: false
plugins:
  - publisher
nav:
  - Home: index.md
  - Bulletins: bulletins/index.md
"""


TOOLKIT_HEAD = """\
---
title: Dental toolkit
summary: Hosting work experience in a dental practice.
setting: dental
audience: Practice managers
last_reviewed: 2026-06-01
review_due: 2027-06-01
downloads:
  - title: Application form
    file: application-form.docx
    kind: form
    summary: The form a student fills in.
"""


def toolkit(tail: str, body: str = "## Before the placement\n\nPlan ahead.\n") -> str:
    """A dental toolkit with one download; `tail` adds front-matter lines after it."""
    return f"{TOOLKIT_HEAD}{tail}---\n\n{body}"


def build(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write a site with `files` and build it into root/out."""
    make_site(root, files)
    result = run_publisher("build", "--site-dir", str(root / "out"), cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "out"


def taxonomy_text() -> str:
    topics = "\n".join(f"  {slug}: {{label: {slug.replace('-', ' ').capitalize()}, description: About {slug}.}}"
                       for slug in TOPICS)
    return TAXONOMY.format(topics=topics)


def bulletin(title: str, day: str, topics: str = "[mental-health]", body: str = "## Section\n\nText.\n",
             extra: str = "") -> str:
    return (f"---\ntitle: {title}\ndate: {day}\nsummary: Summary of {title}.\ntopics: {topics}\n{extra}---\n\n"
            f"{body}")


def make_site(root: Path, files: dict[str, str | bytes] | None = None, taxonomy: bool = True) -> Path:
    """Write a minimal valid site, plus `files` (path -> text or bytes), and return its folder."""
    base: dict[str, str | bytes] = {
        "mkdocs.yml": MKDOCS_YML,
        "content/index.md": "---\ntitle: Home\n---\n\nWelcome.\n",
    }
    if taxonomy:
        base["content/taxonomy.yml"] = taxonomy_text()
    base.update(files or {})
    for rel, content in base.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content) if content.startswith("\n") else content, encoding="utf-8")
    return root


def run_publisher(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    environment = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH_2026_11_01, **(env or {})}
    return subprocess.run([sys.executable, "-m", "publisher", *args], cwd=cwd, capture_output=True, text=True,
                          env=environment, timeout=300)
