"""The search index and the directory's filter data, checked against the sources."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from lxml import html as lxml_html

from sitekit import ROOT, build
from test_build import DRAFT_TOKEN, SCHEDULED_TOKEN, fixture_files

SIGNATURE = b"pagefind_dcd"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("search"), fixture_files())


def fragments(site: Path) -> dict[str, dict]:
    found = {}
    for path in (site / "pagefind/fragment").iterdir():
        raw = gzip.decompress(path.read_bytes())
        assert raw.startswith(SIGNATURE)
        fragment = json.loads(raw[len(SIGNATURE):])
        found[fragment["url"]] = fragment
    return found


def content_pages(site: Path) -> dict[str, str]:
    manifest = json.loads((site / "manifest.json").read_text())
    return {page["url"]: page["kind"] for page in manifest["pages"]
            if page["kind"] in ("bulletin", "toolkit", "entry", "page")}


TYPES = {"bulletin": "Bulletin", "toolkit": "Toolkit", "entry": "Directory entry", "page": "Page"}


def test_every_content_page_is_indexed_with_its_type(built):
    indexed = fragments(built)
    expected = content_pages(built)
    assert set(indexed) == set(expected)
    for url, kind in expected.items():
        assert indexed[url]["filters"]["type"] == [TYPES[kind]], url
        assert indexed[url]["meta"]["type"] == TYPES[kind]
        assert indexed[url]["meta"]["title"]


def test_bulletins_carry_topics_year_date_and_summary(built):
    bulletin = fragments(built)["/bulletins/2022/02/02/key-messages/"]
    assert sorted(bulletin["filters"]["topic"]) == ["Covid 19", "Mental health"]
    assert bulletin["filters"]["year"] == ["2022"]
    assert bulletin["meta"]["date"] == "2 February 2022"
    assert bulletin["meta"]["summary"] == "Summary of Key messages."


def test_only_content_is_indexed(built):
    bulletin = fragments(built)["/bulletins/2022/02/02/key-messages/"]
    assert "Chief executive" in bulletin["content"]
    for chrome in ("Test site", "Follow these topics", "Previous bulletin", "Skip to content", "Search"):
        assert chrome not in bulletin["content"], chrome


def test_no_draft_or_scheduled_bulletin_in_any_search_file(built):
    for path in (built / "pagefind").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix.startswith(".pf_"):
                data = gzip.decompress(data)
            assert DRAFT_TOKEN.encode() not in data and SCHEDULED_TOKEN.encode() not in data, path


def test_search_page_works_without_javascript_as_a_signpost(built):
    page = lxml_html.fromstring((built / "search/index.html").read_bytes())
    message = page.cssselect("noscript")[0].text_content()
    assert "Search needs JavaScript" in message
    for url in ("/bulletins/", "/topics/"):
        assert f'href="{url}"' in lxml_html.tostring(page.cssselect("noscript")[0]).decode()
    from urllib.parse import urljoin

    for page_url in ("/search/", "/bulletins/2022/02/02/key-messages/"):
        document = lxml_html.fromstring((built / page_url.strip("/") / "index.html").read_bytes())
        header_form = document.cssselect("header form[role=search]")[0]
        assert urljoin(page_url, header_form.get("action")) == "/search/"
        assert header_form.cssselect("input[name=q]")


# --- the directory, on the shipped content ----------------------------------------------------------------

GROUP_FIELDS = {"region": "region", "topic": "topics", "approach": "approaches", "audience": "audiences",
                "evidence": "evidence"}


def source_entries() -> dict[str, dict]:
    entries = {}
    for path in sorted((ROOT / "content/directory").glob("*.md")):
        front = path.read_text(encoding="utf-8-sig").split("---")[1]
        entries[path.stem] = yaml.safe_load(front)
    return entries


def as_set(value) -> set[str]:
    return set(value) if isinstance(value, list) else {value}


def cards(site: Path) -> dict[str, dict[str, set[str]]]:
    page = lxml_html.fromstring((site / "directory/index.html").read_bytes())
    return {card.get("data-slug"): {group: set(card.get(f"data-{group}").split()) for group in GROUP_FIELDS}
            for card in page.cssselect("#directory-entries li")}


def test_directory_filter_data_matches_the_sources(shipped_site):
    sources = source_entries()
    assert len(sources) >= 10
    expected = {slug: {group: as_set(front[field]) for group, field in GROUP_FIELDS.items()}
                for slug, front in sources.items()}
    assert cards(shipped_site) == expected


def test_filter_options_come_from_the_taxonomy_with_counts(shipped_site):
    taxonomy = yaml.safe_load((ROOT / "content/taxonomy.yml").read_text())
    vocabularies = {"region": "regions", "topic": "topics", "approach": "approaches", "audience": "audiences",
                    "evidence": "evidence"}
    sources = source_entries()
    page = lxml_html.fromstring((shipped_site / "directory/index.html").read_bytes())
    for group, vocabulary in vocabularies.items():
        counts = {}
        for front in sources.values():
            for slug in as_set(front[GROUP_FIELDS[group]]):
                counts[slug] = counts.get(slug, 0) + 1
        shown = {}
        for box in page.cssselect(f"#directory-filters input[name={group}]"):
            label = page.cssselect(f"label[for={box.get('id')}]")[0].text_content()
            shown[box.get("value")] = label
        assert set(shown) == set(counts), group
        for slug, label in shown.items():
            assert label == f"{taxonomy[vocabulary][slug]['label']} ({counts[slug]})"


def expected_matches(sources: dict[str, dict], selection: dict[str, list[str]]) -> list[str]:
    return sorted(slug for slug, front in sources.items()
                  if all(as_set(front[GROUP_FIELDS[group]]) & set(values) for group, values in selection.items()))


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to run the directory script")
def test_filter_combinations_select_the_right_entries(shipped_site):
    sources = source_entries()
    regions = sorted({front["region"] for front in sources.values()})
    approaches = sorted({a for front in sources.values() for a in front["approaches"]})
    selections = [
        {"region": [regions[0]]},
        {"region": regions[:2]},
        {"region": [regions[0]], "approach": [approaches[0]]},
        {"approach": approaches[:2], "evidence": [sorted(sources.values(), key=lambda f: f["evidence"])[0]["evidence"]]},
        {"topic": ["widening-participation"], "region": regions[1:3], "audience": [
            sorted(sources.values(), key=lambda f: f["audiences"][0])[0]["audiences"][0]]},
    ]
    data = {slug: {group: " ".join(sorted(values)) for group, values in card.items()}
            for slug, card in cards(shipped_site).items()}
    script = shipped_site / "assets/javascripts/directory.js"
    program = (f"const {{matches}} = require({json.dumps(str(script))});"
               f"const data = {json.dumps(data)}; const selections = {json.dumps(selections)};"
               "console.log(JSON.stringify(selections.map(s => Object.keys(data).filter(k => matches(data[k], s)).sort())));")
    result = subprocess.run(["node", "-e", program], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == [expected_matches(sources, s) for s in selections]
    assert any(0 < len(expected_matches(sources, s)) < len(sources) for s in selections)
