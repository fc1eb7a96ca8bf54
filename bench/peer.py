"""The same corpus built by the peer stack and by this publisher, one after the other, for `run.py --peer`.

The peer is what a team would otherwise run: MkDocs with Material's blog plugin, mkdocs-rss-plugin for the feed
and the Pagefind binary for search, in a virtual environment of its own (bench/out/peer-venv, made on first use)
because this project pins its own MkDocs and Material. Each bulletin becomes a blog post with the front matter
the blog plugin wants; toolkits, directory entries and the other pages stay plain pages.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from measure import CommandFailed, Timing
from measure import run_measured as measure_command
from run import EPOCH, OUT, PUBLISHER, cell, corpus, environment, log, run_measured

PEER_VENV = OUT / "peer-venv"
PEER_PACKAGES = ("mkdocs==1.6.1", "mkdocs-material==9.8.1", "mkdocs-rss-plugin==1.19.0", "pagefind[bin]==1.5.2")
PEER_RESULTS = OUT / "peer.json"
POSTS = Path("blog/posts")
EXCERPT = "<!-- more -->"
# A relative Markdown link to another source file: the part before .md, and an optional #anchor.
MARKDOWN_LINK = re.compile(r"\]\((?!https?:|mailto:)([^)\s#]+\.md)(#[^)\s]*)?\)")


@dataclass
class Comparison:
    bulletins: int
    ours: Timing | None = None  # `publisher build`, without the content cache
    peer_mkdocs: Timing | None = None
    peer_pagefind: Timing | None = None
    peer: Timing | None = None  # both peer steps: seconds added, peaks the larger of the two
    load_before: tuple[float, float, float] | None = None  # os.getloadavg() before each build
    load_before_peer: tuple[float, float, float] | None = None
    error: str | None = None


# The peer's environment


def peer_python() -> Path:
    """The peer venv's Python, creating the venv or reinstalling when the pinned packages changed."""
    python = PEER_VENV / "bin" / "python"
    marker = PEER_VENV / ".bench-peer"
    wanted = "\n".join(PEER_PACKAGES)
    if python.exists() and marker.is_file() and marker.read_text() == wanted:
        return python
    log(f"installing the peer into {PEER_VENV}: {', '.join(PEER_PACKAGES)}")
    subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PEER_PACKAGES], check=True)
    marker.write_text(wanted)
    return python


def pagefind_binary(python: Path) -> str:
    """The native binary pagefind_bin ships, run directly as the peer would, not through Python."""
    return subprocess.run([str(python), "-c", "import pagefind_bin; print(pagefind_bin.get_executable())"],
                          check=True, capture_output=True, text=True).stdout.strip()


def peer_versions(python: Path) -> dict[str, str]:
    names = [package.split("[")[0].split("==")[0] for package in PEER_PACKAGES]
    code = ("import json, sys; from importlib import metadata; "
            "print(json.dumps({name: metadata.version(name) for name in sys.argv[1:]}))")
    return json.loads(subprocess.run([str(python), "-c", code, *names], check=True, capture_output=True,
                                     text=True).stdout)


# Converting a corpus into a Material blog


def split_front_matter(text: str) -> tuple[dict, str]:
    _, header, body = text.split("---\n", 2)
    return yaml.safe_load(header), body


class PlainDumper(yaml.SafeDumper):
    """Writes a value used twice (a post's created and updated date) twice, not as an anchor and an alias."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def with_front_matter(meta: dict, body: str) -> str:
    return "---\n" + yaml.dump(meta, Dumper=PlainDumper, sort_keys=False, allow_unicode=True) + "---\n" + body


def peer_path(source: str) -> str:
    """Where a corpus file (relative to the corpus root) lives in the peer's docs folder."""
    if source.startswith("bulletins/"):
        return str(POSTS / source.removeprefix("bulletins/"))
    return source.removeprefix("content/")


def relink(body: str, source: str) -> str:
    """Point relative links at where their targets moved to in the peer's docs folder."""
    here = Path(peer_path(source)).parent

    def replace(match: re.Match) -> str:
        target = os.path.normpath(Path(source).parent / match.group(1))
        return f"]({os.path.relpath(peer_path(target), here)}{match.group(2) or ''})"

    return MARKDOWN_LINK.sub(replace, body)


def blog_post(meta: dict, body: str, labels: dict[str, str]) -> str:
    """A bulletin as a Material blog post, with the excerpt a blog author would mark after the first paragraph."""
    changes = meta.get("changes") or []
    post = {
        "title": meta["title"],
        "date": {"created": meta["date"], "updated": max((c["date"] for c in changes), default=meta["date"])},
        "description": meta["summary"],
        "categories": [labels.get(topic, topic) for topic in meta.get("topics", [])],
    }
    first, _, rest = body.strip("\n").partition("\n\n")
    return with_front_matter(post, f"\n{first}\n\n{EXCERPT}\n\n{rest}\n")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def peer_config(site: dict, toolkits: list[str], directory: list[str]) -> dict:
    """A stock Material blog: blog plugin defaults (archive, categories, 10 posts a page), RSS for the posts.

    Material's built-in search is left out because Pagefind indexes the site instead, as in the issue's figure.
    """
    return {
        "site_name": site["site_name"],
        "site_url": site["site_url"],
        "site_description": site.get("site_description", ""),
        "theme": {"name": "material", "language": "en", "features": ["navigation.tabs"]},
        "plugins": [
            "blog",
            {"rss": {"match_path": f"{POSTS}/.*", "use_git": False,
                     "date_from_meta": {"as_creation": "date.created", "as_update": "date.updated"},
                     "categories": ["categories"]}},
        ],
        # An explicit nav keeps thousands of posts out of every page's navigation, as Material's blog guide does.
        "nav": [
            {"Home": "index.md"},
            {"Bulletins": ["blog/index.md"]},
            {"Toolkits": toolkits},
            {"Directory": directory},
            {"About": "about.md"},
            {"Subscribe": "subscribe.md"},
        ],
    }


def convert(source: Path, target: Path) -> None:
    """Write the corpus at `source` as a Material blog project at `target` (docs/ and mkdocs.yml)."""
    docs = target / "docs"
    taxonomy = yaml.safe_load((source / "content" / "taxonomy.yml").read_text(encoding="utf-8"))
    labels = {slug: term["label"] for slug, term in taxonomy["topics"].items()}
    for path in sorted(source.glob("bulletins/*.md")):
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        relative = path.relative_to(source).as_posix()
        write(docs / peer_path(relative), blog_post(meta, relink(body, relative), labels))
    pages = [path for path in sorted(source.rglob("*.md"))
             if path.relative_to(source).parts[0] in ("content", "toolkits")]
    for path in pages:
        relative = path.relative_to(source).as_posix()
        write(docs / peer_path(relative), relink(path.read_text(encoding="utf-8"), relative))
    for download in source.glob("toolkits/*/*"):
        if download.suffix != ".md":
            shutil.copy2(download, docs / download.relative_to(source))
    write(docs / "blog" / "index.md", "# Bulletins\n")
    site = yaml.safe_load((source / "mkdocs.yml").read_text(encoding="utf-8"))
    relatives = [peer_path(p.relative_to(source).as_posix()) for p in pages]
    toolkits = [path for path in relatives if path.startswith("toolkits/")]
    directory = [path for path in relatives if path.startswith("directory/")]
    write(target / "mkdocs.yml", yaml.safe_dump(peer_config(site, toolkits, directory), sort_keys=False))


# Measuring


def combined(first: Timing, second: Timing) -> Timing:
    """Two steps run one after the other: their seconds add up, and the peak is the larger one's."""
    return Timing(round(first.seconds + second.seconds, 2), max(first.peak_mb, second.peak_mb),
                  max(first.tree_peak_mb, second.tree_peak_mb), round(first.cpu_seconds + second.cpu_seconds, 2))


def build_ours(folder: Path, timeout: float) -> Timing:
    """A cold `publisher build`: the content cache at the corpus root is removed first."""
    shutil.rmtree(folder / ".cache", ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="site-", dir=OUT) as scratch:
        return run_measured(PUBLISHER + ["build", "--site-dir", str(Path(scratch) / "site")], folder, timeout)


def build_peer(result: Comparison, folder: Path, python: Path, timeout: float) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "NO_MKDOCS_2_WARNING": "1"}
    with tempfile.TemporaryDirectory(prefix="peer-", dir=OUT) as scratch:
        project = Path(scratch)
        convert(folder, project)
        site = project / "site"
        result.peer_mkdocs = measure_command([str(python), "-m", "mkdocs", "build", "-d", str(site)], project, env,
                                             timeout)
        result.peer_pagefind = measure_command([pagefind_binary(python), "--site", str(site)], project, env,
                                               timeout)
    result.peer = combined(result.peer_mkdocs, result.peer_pagefind)


def compare_size(size: int, seed: int, timeout: float, python: Path) -> Comparison:
    result = Comparison(size)
    folder = corpus(size, seed)
    try:
        log(f"{size:,}: publisher build (cold)")
        result.load_before = os.getloadavg()
        result.ours = build_ours(folder, timeout)
        log(f"{size:,}: peer (mkdocs build, then pagefind)")
        result.load_before_peer = os.getloadavg()
        build_peer(result, folder, python, timeout)
    except (CommandFailed, subprocess.SubprocessError) as exc:
        result.error = str(exc)
    return result


# Reporting


def ratio(result: Comparison) -> float | None:
    if result.ours and result.peer:
        return round(result.peer.seconds / result.ours.seconds, 2)
    return None


def comparison_table(results: list[Comparison]) -> str:
    rows = ["| bulletins | ours cold build s | peer s | peer mkdocs s | peer Pagefind s | ratio (peer/ours) "
            "| our CPU s | peer CPU s | our peak MB | our tree peak MB | peer peak MB | peer tree peak MB |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        values = [r.bulletins, r.ours and r.ours.seconds, r.peer and r.peer.seconds,
                  r.peer_mkdocs and r.peer_mkdocs.seconds, r.peer_pagefind and r.peer_pagefind.seconds, ratio(r),
                  r.ours and r.ours.cpu_seconds, r.peer and r.peer.cpu_seconds,
                  r.ours and r.ours.peak_mb, r.ours and r.ours.tree_peak_mb,
                  r.peer and r.peer.peak_mb, r.peer and r.peer.tree_peak_mb]
        rows.append("| " + " | ".join(cell(v) for v in values) + " |")
    return "\n".join(rows)


def comparison_notes(results: list[Comparison]) -> list[str]:
    lines = []
    for r in results:
        if r.load_before:
            lines.append(f"{r.bulletins:,}: load average (1, 5, 15 min) "
                         f"{', '.join(f'{x:.2f}' for x in r.load_before)} before our build, "
                         f"{', '.join(f'{x:.2f}' for x in r.load_before_peer or ())} before the peer's.")
        if r.error:
            lines.append(f"{r.bulletins:,} FAILED: {r.error}")
    return lines


def compare(sizes: list[int], seed: int, timeout: float) -> int:
    """Run the comparison for each size in turn, print the table, save bench/out/peer.json; 1 if any failed."""
    python = peer_python()
    results: list[Comparison] = []
    for size in sizes:
        results.append(compare_size(size, seed, timeout, python))
        PEER_RESULTS.write_text(json.dumps({"environment": {**environment(seed, timeout),
                                                            "peer_versions": peer_versions(python)},
                                            "results": [asdict(r) for r in results]}, indent=1) + "\n")
    print("\n\n".join([comparison_table(results), "\n".join(comparison_notes(results))]).strip())
    return 1 if any(r.error for r in results) else 0
