import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import os
import shutil
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
