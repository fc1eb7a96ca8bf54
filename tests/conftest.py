import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import os
import subprocess

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def shipped_site(tmp_path_factory) -> Path:
    """The shipped sample content, built once for every test that inspects it."""
    from sitekit import EPOCH_2026_11_01

    out = tmp_path_factory.mktemp("shipped") / "site"
    result = subprocess.run([sys.executable, "-m", "publisher", "build", "--site-dir", str(out)], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH_2026_11_01})
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium under Playwright, shared by every browser test."""
    from browser_support import CHROMIUM_ARGS, require_chromium

    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
