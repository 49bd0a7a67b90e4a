# SPDX-License-Identifier: GPL-3.0-or-later
"""Architecture rules the code must keep: the pure packages stay free of Blender, and each package
imports only from its own layer and the layers below it (docs/architecture.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLENDER_MODULES = {"bpy", "mathutils", "bmesh", "addon_utils", "bpy_extras", "gpu"}
PURE_PACKAGES = ("core", "io", "reader", "live", "render")
LAYERS = {"core": 0, "io": 1, "reader": 2, "live": 3, "render": 4, "blender": 5, "batch": 6, "cli": 7}
"""Each package of ``facs_rig`` and its layer: a package imports from its own layer and lower ones.
``paths.py`` (and the package's ``__init__``) are shared by all."""
SHARED = {"paths", "__init__", "__main__"}


def _imported_packages(source: str, module: str) -> list[tuple[int, str]]:
    """``(line, facs_rig package)`` of every import in ``source``, the text of ``module``
    (``facs_rig.blender.render``): relative or absolute, at the top or inside a function."""
    parts = module.split(".")
    found = []
    for node in ast.walk(ast.parse(source)):
        targets: list[list[str]] = []
        if isinstance(node, ast.Import):
            targets = [alias.name.split(".") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = parts[: len(parts) - node.level] if node.level else []
            named = base + (node.module.split(".") if node.module else [])
            targets = [named] if node.module else [[*named, alias.name] for alias in node.names]
        found += [(node.lineno, target[1]) for target in targets
                  if len(target) > 1 and target[0] == "facs_rig" and target[1] not in SHARED]
    return found


def test_pure_packages_import_without_bpy() -> None:
    code = (
        f"import sys, pkgutil, importlib, facs_rig, {', '.join(f'facs_rig.{p}' for p in PURE_PACKAGES)}\n"
        f"for pkg in ({', '.join(f'facs_rig.{p}' for p in PURE_PACKAGES)}):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {BLENDER_MODULES!r})\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_no_blender_imports_in_pure_packages() -> None:
    offenders = []
    for path in [p for package in PURE_PACKAGES for p in ROOT.glob(f"facs_rig/{package}/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path}:{node.lineno}: {n}" for n in names if n.split(".")[0] in BLENDER_MODULES]
    assert offenders == []


def test_every_package_has_a_layer() -> None:
    packages = {p.parent.name for p in ROOT.glob("facs_rig/*/__init__.py")}
    assert packages == set(LAYERS)


def test_packages_import_only_their_layer_and_below() -> None:
    offenders = []
    for package, layer in LAYERS.items():
        for path in sorted(ROOT.glob(f"facs_rig/{package}/**/*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            offenders += [f"{path.relative_to(ROOT)}:{line}: imports facs_rig.{target}"
                          for line, target in _imported_packages(path.read_text(), module)
                          if LAYERS[target] > layer]
    assert offenders == []


def test_the_layer_check_sees_every_kind_of_import() -> None:
    """What the rule above reads, shown on the import it exists to forbid (blender -> batch)."""
    source = (
        "from ..batch.pool import run_jobs\n"
        "from . import keyframer\n"
        "from .. import cli, paths\n"
        "import facs_rig.render.job\n"
        "def late():\n"
        "    from ..core.errors import FacsError\n"
    )
    assert _imported_packages(source, "facs_rig.blender.x") == [
        (1, "batch"), (2, "blender"), (3, "cli"), (4, "render"), (6, "core")]


def test_manifest_matches_package_version() -> None:
    import facs_rig

    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    assert manifest["id"] == "facs_rig"
    assert manifest["version"] == facs_rig.__version__
    assert manifest["blender_version_min"] == "4.2.0"
    assert manifest["blender_version_max"] == "5.1.0"


def test_cli_version_and_help() -> None:
    import facs_rig

    out = subprocess.run(
        [sys.executable, "-m", "facs_rig", "--version"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == f"facs_rig {facs_rig.__version__}"
    help_text = subprocess.run(
        [sys.executable, "-m", "facs_rig", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    for command in ("validate", "info", "animate", "render", "atlas", "convert"):
        assert command in help_text
