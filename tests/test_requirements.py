# SPDX-License-Identifier: GPL-3.0-or-later
"""The reader's runtime and the live sources' libraries are pinned twice: for the development venvs
(requirements/dev.txt) and for the wheels bundled in the extension zips
(requirements/extension-wheels.txt). The add-on must run inside Blender on what the tests ran on, so
a package named in both files has one version."""

from __future__ import annotations

import re
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements"


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (REQUIREMENTS / name).read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", line.split("#")[0].strip())
        if match:
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def test_bundled_wheels_match_the_tested_versions() -> None:
    dev, bundled = _pins("dev.txt"), _pins("extension-wheels.txt")
    shared = sorted(set(dev) & set(bundled))
    assert {"mediapipe", "av", "python-osc", "pyzmq"} <= set(shared)
    assert {name: bundled[name] for name in shared} == {name: dev[name] for name in shared}
