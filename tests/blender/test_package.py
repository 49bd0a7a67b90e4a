# SPDX-License-Identifier: GPL-3.0-or-later
"""The zip a user downloads: built by Blender's own tool (the Linux x86_64 one of the per-platform
zips, with the face reader's wheels), installed the way "Install from Disk" does, enabled, and
registered; inside that Blender the reader and the live sources (python-osc, pyzmq) run from the
wheels the extension installed. Runs in a fresh interpreter so the source-tree copy stays apart. The
zip is about 160 MB, so it is built and installed once for the module."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

INSTALL_SCRIPT = r"""
import importlib, json, sys, time
sys.path.insert(0, sys.argv[2])  # run with -S: this is the only site-packages
import bpy
start = time.perf_counter()
result = bpy.ops.extensions.package_install_files(
    filepath=sys.argv[1], repo="user_default", enable_on_install=True)
seconds = time.perf_counter() - start
key = "bl_ext.user_default.facs_rig"
blender = importlib.import_module(key + ".facs_rig.blender")
reader = importlib.import_module(key + ".facs_rig.reader")
import skimage.data
reading = reader.read_image(skimage.data.astronaut())
import av, cv2, matplotlib, mediapipe, numpy, pythonosc, zmq
live = importlib.import_module(key + ".facs_rig.live")
facecap = importlib.import_module(key + ".facs_rig.live.facecap")
facsvatar = importlib.import_module(key + ".facs_rig.live.facsvatar")

def wait_for(condition):
    end = time.perf_counter() + 5
    while not condition() and time.perf_counter() < end:
        time.sleep(0.005)
    return condition()

def value(session, key):
    session.poll()
    keys = session.processor.keys
    return float(session.values[keys.index(key)]) if key in keys else None

from pythonosc.udp_client import SimpleUDPClient
osc = live.Session("osc://127.0.0.1:0")  # Face Cap: loose /W messages, the last one ends the frame
osc.start()
client = SimpleUDPClient("127.0.0.1", osc.receiver.port)
for index, name in enumerate(facecap.SHAPES):
    client.send_message("/W", [index, 0.6 if name == "jawOpen" else 0.0])
osc_frames = wait_for(lambda: osc.receiver.counters.received > 0) and osc.receiver.counters.received
osc_jaw = value(osc, (26, "both"))
osc.stop()
context = zmq.Context()
publisher = context.socket(zmq.PUB)
publisher.setsockopt(zmq.LINGER, 0)
sub = live.Session(f"zmq://127.0.0.1:{publisher.bind_to_random_port('tcp://127.0.0.1')}")
sub.start()
message = facsvatar.encode("openface", 1000.0, {"AU12": 0.6})
zmq_frames = wait_for(lambda: bool(publisher.send_multipart(message)) or sub.receiver.counters.received > 0)
zmq_au12 = value(sub, (12, "both"))
sub.stop()
publisher.close()
context.term()
print("RESULT" + json.dumps({
    "op": sorted(result),
    "seconds": seconds,
    "enabled": key in bpy.context.preferences.addons,
    "registered": [c.__name__ for c in blender.CLASSES if c.is_registered],
    "classes": [c.__name__ for c in blender.CLASSES],
    "ease": bpy.context.preferences.addons[key].preferences.ease,
    "modules": {m.__name__: m.__file__ for m in (av, cv2, matplotlib, mediapipe, numpy, pythonosc, zmq)},
    "live_problems": {kind: importlib.import_module(key + ".facs_rig.blender.ops_live").source_problem(kind)
                      for kind in live.KINDS},
    "osc": {"frames": osc_frames, "malformed": osc.receiver.counters.malformed, "jaw": osc_jaw},
    "zmq": {"frames": zmq_frames, "au12": zmq_au12},
    "smile": [float(reading.blendshapes[reader.BLENDSHAPE_NAMES.index(n)])
              for n in ("mouthSmileLeft", "mouthSmileRight")],
}))
"""

WITHOUT_READER_SCRIPT = r"""
import importlib, json, sys
sys.path.insert(0, sys.argv[1])  # run with -S: this is the only site-packages
import bpy
import addon_utils  # on sys.path once bpy is imported
bpy.context.preferences.extensions.repos.new(
    name="facs_dev", module="facs_dev", custom_directory=sys.argv[2], source="USER")
key = "bl_ext.facs_dev.facs_rig"
addon_utils.enable(key, default_set=True)
package = key + ".facs_rig.blender."
head = importlib.import_module(package + "avatar").create_default_avatar().mesh
importlib.import_module(package + "rig").build_rig(head)
bpy.context.view_layer.objects.active = head
try:
    bpy.ops.facs.read_media(filepath=sys.argv[3])
    error = None
except RuntimeError as exc:
    error = str(exc)
sys.path.insert(0, sys.argv[4])  # the source tree, for the tests' layout stand-in
from tests.blender.test_panel_support import context_for, draw
live_panel = importlib.import_module(package + "panel_live").FACS_PT_live
drawn = {}
for kind in ("osc", "zmq", "llf"):
    bpy.context.scene.facs_rig_live.source = kind
    rec = draw(live_panel, context_for(head))
    drawn[kind] = {"text": " ".join(rec.labels), "start": [op.idname for op in rec.operators]}
bpy.context.scene.facs_rig_live.source = "osc"
try:
    bpy.ops.facs.live_start()
    live_error = None
except RuntimeError as exc:
    live_error = str(exc)
print("RESULT" + json.dumps({
    "live_panel": drawn,
    "live_error": live_error,
    "enabled": key in bpy.context.preferences.addons,
    "problem": importlib.import_module(package + "ops_read_media").reader_problem(),
    "error": error,
    "poses": bpy.ops.facs.apply_expression(code="12", intensity="E") == {"FINISHED"},
    "au12": head["AU12_L"],
}))
"""


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_extension.py"), "--output-dir", str(dist),
         "--platform", "linux-x64"],
        check=True,
        capture_output=True,
    )
    (zip_path,) = dist.glob("facs_rig-*.zip")
    return zip_path


def blender_site_packages(wheels: zipfile.ZipFile, folder: Path) -> Path:
    """This environment's site-packages without what the zip's wheels hold, as Blender's own Python
    is (it has numpy, not mediapipe): links to every other entry. Whatever the reader imports then
    has to come from the extension's wheels."""
    bundled = set()
    for name in wheels.namelist():
        if name.startswith("wheels/") and name.endswith(".whl"):
            with zipfile.ZipFile(wheels.open(name)) as wheel:
                bundled |= {entry.split("/")[0] for entry in wheel.namelist()}
    site = Path(next(p for p in sys.path if p.endswith("site-packages") and Path(p, "bpy").is_dir()))
    folder.mkdir()
    for entry in site.iterdir():
        if entry.name not in bundled:
            (folder / entry.name).symlink_to(entry)
    return folder


@pytest.fixture(scope="module")
def installed(built_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    user = tmp_path_factory.mktemp("user")
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(user))
    site = blender_site_packages(zipfile.ZipFile(built_zip), user.parent / f"{user.name}-site-packages")
    proc = subprocess.run(
        [sys.executable, "-S", "-c", INSTALL_SCRIPT, str(built_zip), str(site)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stdout + proc.stderr
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT"))
    result["user"] = str(user)
    return result


def test_zip_is_per_platform_with_the_reader_wheels(built_zip: Path) -> None:
    assert built_zip.name.endswith("-linux_x64.zip")
    archive = zipfile.ZipFile(built_zip)
    names = archive.namelist()
    assert "blender_manifest.toml" in names and "__init__.py" in names
    assert "facs_rig/assets/face_landmarker.task" in names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "tools/", ".venv", ".git", ".cache"))]
    manifest = tomllib.loads(archive.read("blender_manifest.toml").decode())
    assert manifest["platforms"] == ["linux-x64"]
    wheels = sorted(n for n in names if n.startswith("wheels/"))
    assert sorted(w.removeprefix("./") for w in manifest["wheels"]) == wheels
    packages = {w.removeprefix("wheels/").split("-")[0] for w in wheels}
    assert {"mediapipe", "av", "opencv_python_headless", "matplotlib", "python_osc", "pyzmq"} <= packages
    assert "numpy" not in packages  # Blender's own
    assert all("win" not in w and "macosx" not in w and "aarch64" not in w for w in wheels)
    licences = (ROOT / "docs" / "licences.md").read_text()
    assert all(f"`{name}`" in licences for name in packages), "every bundled wheel has a licence row"


def test_built_zip_installs_and_enables(installed: dict[str, Any]) -> None:
    assert installed["op"] == ["FINISHED"]
    assert installed["enabled"]
    assert installed["registered"] == installed["classes"] and installed["classes"]
    assert installed["ease"] == "smooth"


def test_reader_runs_from_the_extensions_own_wheels(installed: dict[str, Any]) -> None:
    site = str(Path(installed["user"]) / "extensions" / ".local")
    modules = installed["modules"]
    assert all(modules[m].startswith(site) for m in ("av", "cv2", "matplotlib", "mediapipe")), modules
    assert not modules["numpy"].startswith(site)
    assert min(installed["smile"]) > 0.5  # the astronaut smiles, read through the installed add-on


def test_live_sources_run_from_the_extensions_own_wheels(installed: dict[str, Any]) -> None:
    """Face Cap's OSC and FACSvatar's ZeroMQ, each from a real sender on loopback, received by the
    installed add-on's live session with python-osc and pyzmq from the zip's wheels."""
    site = str(Path(installed["user"]) / "extensions" / ".local")
    assert all(installed["modules"][m].startswith(site) for m in ("pythonosc", "zmq")), installed["modules"]
    assert installed["live_problems"] == dict.fromkeys(installed["live_problems"])
    assert installed["osc"]["frames"] == 1 and installed["osc"]["malformed"] == 0
    assert installed["osc"]["jaw"] > 0.3  # jawOpen 0.6 solved into AU 26
    assert installed["zmq"]["frames"] and installed["zmq"]["au12"] == pytest.approx(0.6)


def test_without_the_reader_the_add_on_works_and_says_what_is_missing(
        built_zip: Path, tmp_path: Path) -> None:
    """The source tree enabled in a Blender whose Python lacks the reader's packages and the live
    sources' libraries (an install without the wheels): the rest works, the panel's messages and
    the operators name the package."""
    site = blender_site_packages(zipfile.ZipFile(built_zip), tmp_path / "site-packages")
    repo = tmp_path / "extensions"
    repo.mkdir()
    (repo / "facs_rig").symlink_to(ROOT, target_is_directory=True)
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp_path / "user"))
    proc = subprocess.run([sys.executable, "-S", "-c", WITHOUT_READER_SCRIPT, str(site), str(repo),
                           str(photo), str(ROOT)], env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stdout + proc.stderr
    result = json.loads(lines[-1].removeprefix("RESULT"))
    assert result["enabled"] and result["poses"] and result["au12"] > 0.5
    assert "needs the Python package 'mediapipe'" in result["problem"]
    assert "needs the Python package" in result["error"]
    # the live sources whose libraries the zip bundles: the panel says what is missing, no Start
    flat = {kind: re.sub(r"\s", "", drawn["text"]) for kind, drawn in result["live_panel"].items()}
    assert "FaceCap(OSC)unavailable:theFaceCapsourceneedsthePythonpackage'python-osc'" in flat["osc"]
    assert "FACSvatar(ZeroMQ)unavailable:theFACSvatarsourceneedsthePythonpackage'pyzmq'" in flat["zmq"]
    assert "zipmadeforyourplatform" in flat["osc"] and "unavailable" not in flat["llf"]
    assert [panel["start"] for panel in result["live_panel"].values()] == [[], [], ["facs.live_start"]]
    assert "needs the Python package 'python-osc'" in result["live_error"]
