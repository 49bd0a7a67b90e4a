# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig info``: the preset an avatar file fits and what it can express, for each
file type it reads."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import addon_utils
import bpy
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _cc4_head(addon: ModuleType) -> bpy.types.Object:
    preset = addon.core.mapping.load_preset("cc4")
    names = [s.name for specs in preset.controls.values() for s in specs if s.kind == "shape"]
    me = bpy.data.meshes.new("CC_Base_Body")
    verts = [(0.01 * i, 0.0, 0.01 * (i % 3)) for i in range(len(names) + 2)]
    me.from_pydata(verts, [], [(i, i + 1, i + 2) for i in range(len(names))])
    obj = bpy.data.objects.new("CC_Base_Body", me)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    for i, name in enumerate(dict.fromkeys(names)):
        obj.shape_key_add(name=name).data[i].co.y -= 0.01
    prop = bpy.data.objects.new("Prop", bpy.data.meshes.new("Prop"))  # a second mesh, no keys
    bpy.context.scene.collection.objects.link(prop)
    return obj


GLB_EXPORT = """
import os, sys
import bpy, addon_utils
bpy.ops.wm.open_mainfile(filepath=sys.argv[1], load_ui=False)
addon_utils.enable("io_scene_gltf2", default_set=False)
obj = bpy.data.objects[sys.argv[3]]
obj.select_set(True)
with bpy.context.temp_override(active_object=obj):
    bpy.ops.export_scene.gltf(filepath=sys.argv[2], export_format="GLB", use_selection=True)
sys.stdout.flush()
os._exit(0)
"""


def _export_glb_elsewhere(obj: bpy.types.Object, blend: Path, glb: Path) -> None:
    """Blender 4.2's glTF exporter makes the interpreter crash at exit (it fails to load the Draco
    library the bpy wheel lacks), so the test file is exported by a throw-away process that leaves
    with ``os._exit``. Importing glTF, which is what ``info`` does, is unaffected."""
    bpy.ops.wm.save_as_mainfile(filepath=str(blend), copy=True)
    subprocess.run([sys.executable, "-c", GLB_EXPORT, str(blend), str(glb), obj.name],
                   check=True, capture_output=True, timeout=120)
    assert glb.is_file()


def _cli(addon: ModuleType, name: str) -> ModuleType:
    return importlib.import_module(f"{addon.__name__}.cli.{name}")


def _info(addon: ModuleType, capsys: pytest.CaptureFixture[str], avatar: str, *extra: str) -> dict:
    info = _cli(addon, "info")
    parser = argparse.ArgumentParser()
    info.configure(parser)
    capsys.readouterr()  # what the test's own exports printed
    assert info.run(parser.parse_args(["--avatar", avatar, "--json", *extra])) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("suffix", [".blend", ".glb", ".fbx"])
def test_info_reads_each_file_type(addon: ModuleType, tmp_path: Path, capsys, suffix: str) -> None:
    obj = _cc4_head(addon)
    path = tmp_path / f"head{suffix}"
    if suffix == ".blend":
        bpy.ops.wm.save_as_mainfile(filepath=str(path))
    elif suffix == ".glb":
        _export_glb_elsewhere(obj, tmp_path / "source.blend", path)
    else:
        addon_utils.enable("io_scene_fbx", default_set=False)
        obj.select_set(True)
        with bpy.context.temp_override(active_object=obj):
            bpy.ops.export_scene.fbx(filepath=str(path), use_selection=True)
    bpy.ops.wm.read_homefile(use_empty=True)
    report = _info(addon, capsys, str(path))
    assert report["preset"] == "cc4"
    assert report["ranking"][0]["preset"] == "cc4"
    assert report["controls"]["AU12_L"] == ["shape:Mouth_Smile_L", "shape:Cheek_Raise_L"]
    assert "AU51" not in report["controls"] and report["cannot_express"]["AU51"] == ["AU51"]
    assert "AU12" not in report["cannot_express"]
    assert "bone:CC_Base_Head" in report["missing_targets"]


def test_info_on_an_obj_without_shape_keys(addon: ModuleType, tmp_path: Path, capsys) -> None:
    _cc4_head(addon)
    path = tmp_path / "head.obj"
    bpy.ops.wm.obj_export(filepath=str(path))
    report = _info(addon, capsys, str(path))
    assert report["preset"] is None and "no mapping preset" in report["note"]
    assert report["controls"] == {} and "AU12" in report["cannot_express"]


def test_info_errors_name_the_file(addon: ModuleType, tmp_path: Path) -> None:
    info = _cli(addon, "info")
    parser = argparse.ArgumentParser()
    info.configure(parser)
    cli_error = addon.core.errors.FacsError  # the family the CLI reports in one line
    with pytest.raises(cli_error, match="no such avatar file"):
        info.run(parser.parse_args(["--avatar", str(tmp_path / "none.glb")]))
    (tmp_path / "face.png").write_bytes(b"")
    with pytest.raises(cli_error, match=r"face\.png: avatar files are .blend"):
        info.run(parser.parse_args(["--avatar", str(tmp_path / "face.png")]))
    with pytest.raises(cli_error, match="unknown mapping preset 'nope'"):
        info.run(parser.parse_args(["--avatar", "default", "--preset", "nope"]))


def test_info_command_on_the_default_head() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "facs_rig", "info", "--avatar", "default"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1].startswith("preset: makehuman")
    assert any(line.split()[:2] == ["AU61", "Eyes"] and "eye.L (bone)" in line for line in lines)
    assert any(line.startswith("cannot express") for line in lines)
