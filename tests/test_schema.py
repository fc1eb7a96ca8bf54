"""`publisher schema` describes front matter the way `publisher check` reads it, so editors' hints agree with it."""

from __future__ import annotations

import json

import jsonschema
import pytest

from publisher.content.load import load_document
from publisher.content.sources import find_sources
from publisher.findings import Findings
from sitekit import ROOT, run_publisher


@pytest.fixture(scope="module")
def schemas() -> dict:
    result = run_publisher("schema", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def front_matter_of_every_shipped_source():
    """Front matter as a YAML editor sees it: unquoted dates are text, as in YAML 1.2 (and in our loader)."""
    for source in find_sources(ROOT):
        findings = Findings()
        doc = load_document(source.path, source.rel, findings)
        assert doc is not None, [f.as_text() for f in findings.sorted()]
        yield source.rel, source.model.kind, doc.data


def test_every_shipped_source_is_valid_against_the_exported_schema(schemas):
    checked = 0
    for rel, kind, data in front_matter_of_every_shipped_source():
        errors = [error.message for error in jsonschema.Draft202012Validator(schemas[kind]).iter_errors(data)]
        assert errors == [], f"{rel}: {errors}"
        checked += 1
    assert checked > 10


@pytest.mark.parametrize(("value", "valid"), [
    ("2022-02-02", True), ("2022-02-02 09:30", True), ("2022-02-02T09:30:00+00:00", True), ("2022-2-2", True),
    ("2 February 2022", False), ("02/02/2022", False), ("2022-02-02 9am", False),
])
def test_dates_are_declared_as_check_accepts_them(schemas, value, valid):
    data = {"title": "T", "date": value, "summary": "S", "topics": ["covid-19"]}
    errors = list(jsonschema.Draft202012Validator(schemas["bulletin"]).iter_errors(data))
    assert (errors == []) is valid, errors


def test_review_dates_are_plain_days(schemas):
    review_due = schemas["toolkit"]["properties"]["review_due"]
    assert jsonschema.Draft202012Validator(review_due).is_valid("2027-06-01")
    assert not jsonschema.Draft202012Validator(review_due).is_valid("2027-06-01 09:00")
