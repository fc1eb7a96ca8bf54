"""Vendor a pinned Decap CMS bundle from the npm package into publisher/theme/admin/decap/.

    python scripts/vendor_decap.py 3.16.3

Why vendored rather than installed at build time: `make site` and the publish workflow then need neither Node.js
nor the network, every build serves the same reviewed bytes, and an upgrade is one reviewable commit.
The script asks npm for the package tarball, checks it against the registry's integrity hash, copies the browser
bundle (the entry file, its lazily loaded chunks and WebAssembly, and its third-party licence notices) and writes
SHA256SUMS, which tests/test_cms.py checks on every run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "publisher" / "theme" / "admin" / "decap"
BUNDLE_PATTERNS = ("decap-cms.js", "*.decap-cms.js", "*.wasm", "decap-cms.js.LICENSE.txt")
# The npm package carries no LICENSE file; this is the MIT licence of github.com/decaporg/decap-cms.
MIT_LICENCE = """\
Decap CMS, vendored from the npm package decap-cms {version}.

Copyright (c) 2016 Netlify <decap@p-m.si>

MIT License

Permission is hereby granted, free of charge, to any person obtaining
a copy of this software and associated documentation files (the
"Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to
permit persons to whom the Software is furnished to do so, subject to
the following conditions:

The above copyright notice and this permission notice shall be
included in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE
LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION
OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.

Third-party notices for the code bundled in decap-cms.js are in decap-cms.js.LICENSE.txt.
"""


def pack(version: str, folder: Path) -> tuple[Path, str]:
    """Download the package tarball with npm; return it and the registry's integrity string."""
    result = subprocess.run(["npm", "pack", f"decap-cms@{version}", "--json", "--pack-destination", str(folder)],
                            capture_output=True, text=True, check=True)
    [info] = json.loads(result.stdout)
    return folder / info["filename"], info["integrity"]


def check_integrity(tarball: Path, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if actual != expected:
        sys.exit(f"{tarball.name} does not match the registry's {algorithm} integrity hash; not vendoring it")


def vendor(version: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        tarball, integrity = pack(version, Path(scratch))
        check_integrity(tarball, integrity)
        with tarfile.open(tarball) as archive:
            archive.extractall(scratch, filter="data")
        dist = Path(scratch) / "package" / "dist"
        if TARGET.exists():
            shutil.rmtree(TARGET)
        TARGET.mkdir(parents=True)
        for pattern in BUNDLE_PATTERNS:
            for path in dist.glob(pattern):
                shutil.copy2(path, TARGET / path.name)
    (TARGET / "LICENSE.txt").write_text(MIT_LICENCE.format(version=version), encoding="utf-8")
    lines = [f"# decap-cms {version} from the npm registry; tarball integrity {integrity}"]
    for path in sorted(TARGET.iterdir()):
        if path.name != "SHA256SUMS":
            lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}")
    (TARGET / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"Vendored decap-cms {version} into {TARGET} ({len(lines) - 1} files)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/vendor_decap.py VERSION   (e.g. 3.16.3)")
    vendor(sys.argv[1])
