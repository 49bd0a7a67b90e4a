# SPDX-License-Identifier: GPL-3.0-or-later
"""Validate and build the extension zips with Blender's own ``blender_ext.py`` from the bpy wheel.

The wheel has no Blender binary (``blender --command extension`` is unavailable), but it ships the
same validator and builder as a plain script, so the zips are exactly what Blender would make.

The face reader's runtime (mediapipe, PyAV, OpenCV, matplotlib and what they import) and the live
sources' libraries (python-osc, pyzmq), pinned in requirements/extension-wheels.txt, are bundled as
wheels, one zip per platform (``--split-platforms``). The committed manifest lists no wheels, so
the source tree stays a valid extension for the tests and for platforms without wheels: the wheels
are fetched from PyPI into ``.cache/wheels/<platform>/`` (kept, so a second build downloads nothing
new) and a staged copy of the extension (a temporary folder: parallel builds do not meet) gets a
manifest with ``platforms`` and ``wheels``.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "blender_manifest.toml"
WHEEL_PINS = ROOT / "requirements" / "extension-wheels.txt"
WHEEL_CACHE = ROOT / ".cache" / "wheels"
PLATFORMS: dict[str, tuple[str, ...]] = {
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux2014_x86_64"),
    "linux-arm64": ("manylinux_2_28_aarch64", "manylinux2014_aarch64"),
    "windows-x64": ("win_amd64",),
    "macos-arm64": ("macosx_14_0_arm64",),
}
"""Blender's platform names and the wheel tags pip may pick for them (for CPython 3.11, the Python
of Blender 4.2 to 5.0). mediapipe 1.2 has no macOS x86_64 wheel, so Intel Macs get no zip. pip does
not widen a manylinux_2_28 tag to the older manylinux2014 one that OpenCV and matplotlib use, so
both are given."""


def bpy_scripts_dir() -> Path:
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("build_extension: the bpy module is not installed in this Python")
    bpy_dir = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(bpy_dir.glob("[0-9]*.[0-9]*/scripts"))
    if not found:
        sys.exit(f"build_extension: no scripts folder inside {bpy_dir}")
    return found[-1]


def blender_ext(*args: str) -> None:
    scripts = bpy_scripts_dir()
    cmd = [sys.executable, str(scripts / "addons_core/bl_pkg/cli/blender_ext.py"), *args]
    if args[0] == "build":
        cmd += ["--valid-tags", str(scripts / "modules/_bpy_internal/extensions/tags.py")]
    subprocess.run(cmd, check=True)


def fetch_wheels(platform: str) -> list[Path]:
    """The pinned wheels for one Blender platform, downloaded once into the cache (wheels of
    older pins left there are not used)."""
    folder = WHEEL_CACHE / platform
    tags = [arg for tag in PLATFORMS[platform] for arg in ("--platform", tag)]
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                    "--only-binary=:all:", "--no-deps", *tags, "--python-version", "3.11",
                    "--dest", str(folder), "-r", str(WHEEL_PINS)], check=True)
    pinned = {tuple(part.strip().lower().replace("-", "_") for part in line.split("#")[0].split("=="))
              for line in WHEEL_PINS.read_text().splitlines() if "==" in line}
    wheels = [w for w in folder.glob("*.whl") if tuple(w.name.lower().split("-")[:2]) in pinned]
    if len(wheels) != len(pinned):  # pip found no wheel of a pin for this platform
        sys.exit(f"build_extension: {folder} holds {sorted(w.name for w in wheels)} "
                 f"of the pins {sorted(pinned)}")
    return sorted(wheels)


def excluded(name: str, is_dir: bool, patterns: list[str]) -> bool:
    """Whether the manifest's ``paths_exclude_pattern`` leaves out a top-level entry."""
    path = f"/{name}/" if is_dir else f"/{name}"
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(name, p.rstrip("/")) for p in patterns
               if p.startswith("/") or not p.rstrip("/").count("/"))


def stage(folder: Path, wheels: list[Path], platforms: list[str]) -> None:
    """Copy the extension's files into ``folder`` with the wheels and a manifest listing them.

    Blender's builder skips symbolic links, so files are copied (wheels hard-linked when the cache
    is on the same disk)."""
    text = (ROOT / MANIFEST).read_text()
    patterns = tomllib.loads(text).get("build", {}).get("paths_exclude_pattern", [])
    for entry in ROOT.iterdir():
        if entry.name == MANIFEST or excluded(entry.name, entry.is_dir(), patterns):
            continue
        if entry.is_dir():
            shutil.copytree(entry, folder / entry.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(entry, folder / entry.name)
    (folder / "wheels").mkdir()
    for wheel in wheels:
        try:
            os.link(wheel, folder / "wheels" / wheel.name)
        except OSError:
            shutil.copy2(wheel, folder / "wheels" / wheel.name)
    listed = "".join(f"  {json.dumps('./wheels/' + name)},\n" for name in sorted({w.name for w in wheels}))
    table = text.index("\n[")  # the keys go before the first table ([permissions])
    added = f"\nplatforms = {json.dumps(platforms)}\nwheels = [\n{listed}]\n"
    (folder / MANIFEST).write_text(text[:table] + "\n" + added + text[table:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output-dir", default=str(ROOT / "dist"))
    parser.add_argument("--platform", action="append", choices=sorted(PLATFORMS), dest="platforms",
                        help="build only this platform's zip (repeatable; default: all)")
    args = parser.parse_args()
    platforms = args.platforms or list(PLATFORMS)
    blender_ext("validate", str(ROOT))
    wheels = [w for p in platforms for w in fetch_wheels(p)]
    Path(args.output_dir).mkdir(parents=True, exist_ok=True)
    WHEEL_CACHE.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="extension-build-", dir=WHEEL_CACHE.parent) as source:
        stage(Path(source), wheels, platforms)
        blender_ext("validate", source)
        blender_ext("build", "--source-dir", source, "--output-dir", args.output_dir, "--split-platforms")


if __name__ == "__main__":
    main()
