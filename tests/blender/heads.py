# SPDX-License-Identifier: GPL-3.0-or-later
"""Heads that are not MakeHuman's and carry no shape keys, made here so the tests need no download:

- :func:`canonical_face_obj`: MediaPipe's canonical face mesh (Apache-2.0, 468 vertices, 898
  triangles, centimetres, Y up), read from the geometry file inside the reader's own model;
- :func:`stylised_head`: a stylised character head sculpted from a sphere with numpy (brow ridge,
  eye sockets, nose, cheeks, chin, a mouth slit), with separate eyeballs;

and one that is fetched: :func:`head_scan`, a real face scan with its own topology (menpo3d's sample
``james.obj``: 6,393 vertices, millimetres, with its photo texture), taken from the pinned menpo3d
sdist on PyPI into ``.cache/menpo3d/`` and checked by sha256 (BSD-3-Clause, docs/licences.md).
"""

from __future__ import annotations

import hashlib
import shutil
import struct
import tarfile
import urllib.request
import zipfile
from pathlib import Path

import bpy
import numpy as np

from facs_rig.reader import MODEL

SCAN_SDIST = "menpo3d-0.8.6.tar.gz"
SCAN_URL = (
    "https://files.pythonhosted.org/packages/cf/3b/1490a36682e1a5da3703efc1c7af3f1d07c1247477b699b980a3b5eb9a20/"
    + SCAN_SDIST
)
SCAN_SHA256 = "96ad2c8b55b74e026cdc190cf6b1564ad7c8e6c53976cf897d6a1bf4940f084a"
"""menpo3d 0.8.6's sdist (PyPI); pip cannot fetch it alone (it builds the package to read its
metadata), so the file is taken from PyPI's file host by its pinned address and hash."""
SCAN_FILES = ("james.obj", "james.obj.mtl", "james.jpg")
CACHE = Path(__file__).resolve().parents[2] / ".cache" / "menpo3d"


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _fields(data: bytes):
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 5:
            value, i = data[i : i + 4], i + 4
        elif wire == 1:
            value, i = data[i : i + 8], i + 8
        else:
            size, i = _varint(data, i)
            value, i = data[i : i + size], i + size
        yield number, wire, value


def canonical_face() -> tuple[np.ndarray, np.ndarray]:
    """Vertices (468, 3) in cm, Y up, face towards +Z, and triangles (898, 3): the ``canonical_mesh``
    of the GeometryPipelineMetadata protobuf (5 floats per vertex: x, y, z, u, v)."""
    blob = zipfile.ZipFile(MODEL).read("geometry_pipeline_metadata_landmarks.binarypb")
    floats: list[float] = []
    indices: list[int] = []
    for number, _, mesh in _fields(blob):
        if number != 1:
            continue
        for field, wire, value in _fields(mesh):
            if field == 3 and wire == 5:
                floats.append(struct.unpack("<f", value)[0])
            elif field == 3 and wire == 2:
                floats += struct.unpack(f"<{len(value) // 4}f", value)
            elif field == 4 and wire == 0:
                indices.append(value)
            elif field == 4 and wire == 2:
                j = 0
                while j < len(value):
                    index, j = _varint(value, j)
                    indices.append(index)
    return np.array(floats).reshape(-1, 5)[:, :3], np.array(indices).reshape(-1, 3)


def canonical_face_obj(path: Path) -> Path:
    vertices, triangles = canonical_face()
    lines = [f"v {x:.5f} {y:.5f} {z:.5f}" for x, y, z in vertices]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in triangles]
    path.write_text("o CanonicalFace\n" + "\n".join(lines) + "\n")
    return path


def _bump(points: np.ndarray, centre: tuple[float, float, float], radius: float, height: float) -> np.ndarray:
    """Push points outwards from the head's centre by a smooth bump (Gaussian) around ``centre``."""
    distance = np.linalg.norm(points - np.array(centre), axis=1)
    normal = points / np.linalg.norm(points, axis=1, keepdims=True)
    return normal * (height * np.exp(-((distance / radius) ** 2)))[:, None]


def stylised_head(path: Path, *, segments: int = 160) -> Path:
    """A stylised head (about 20 cm tall, looking along -Y, Z up) and two eyeballs, saved as .glb."""
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.mesh.primitive_uv_sphere_add(segments=segments, ring_count=segments // 2, radius=0.1)
    head = bpy.context.object
    head.name = "Head"
    mesh = head.data
    co = np.empty(3 * len(mesh.vertices))
    mesh.vertices.foreach_get("co", co)
    p = co.reshape(-1, 3)
    p[:, 2] *= 1.25  # taller than wide
    p[:, 1] *= np.where(p[:, 1] < 0, 0.95, 1.05)
    jaw = np.clip(-p[:, 2] / 0.125, 0, 1)
    p[:, 0] *= 1 - 0.35 * jaw**1.5  # narrow jaw and chin
    offset = np.zeros_like(p)
    for centre, radius, height in (
        ((0.0, -0.1, 0.0), 0.022, 0.022),  # nose
        ((0.0, -0.095, -0.01), 0.012, 0.01),  # nose tip
        ((0.035, -0.085, 0.035), 0.025, 0.008),
        ((-0.035, -0.085, 0.035), 0.025, 0.008),  # brow ridge
        ((0.034, -0.09, 0.015), 0.016, -0.014),
        ((-0.034, -0.09, 0.015), 0.016, -0.014),  # eye sockets
        ((0.05, -0.075, -0.02), 0.03, 0.008),
        ((-0.05, -0.075, -0.02), 0.03, 0.008),  # cheeks
        ((0.0, -0.09, -0.045), 0.018, 0.006),
        ((0.0, -0.085, -0.1), 0.022, 0.01),  # lips, chin
    ):
        offset += _bump(p, centre, radius, height)
    p += offset
    slit = (np.abs(p[:, 2] + 0.045) < 0.0025) & (np.abs(p[:, 0]) < 0.022) & (p[:, 1] < 0)
    p[slit, 1] += 0.006  # the mouth line, pressed in
    mesh.vertices.foreach_set("co", p.ravel())
    mesh.update()
    # Triangles of our choosing: left to the glTF exporter, the quads' diagonals vary from run to
    # run with the export order, and with them the shading the reader sees.
    triangulate = head.modifiers.new("Triangulate", "TRIANGULATE")
    triangulate.quad_method = "FIXED"
    bpy.ops.object.modifier_apply(modifier=triangulate.name)
    for side, x in (("L", 0.034), ("R", -0.034)):
        bpy.ops.mesh.primitive_uv_sphere_add(
            segments=24, ring_count=12, radius=0.013, location=(x, -0.082, 0.016)
        )
        eye = bpy.context.object
        eye.name = f"Eye.{side}"
        material = bpy.data.materials.new(f"Eye.{side}")
        material.diffuse_color = (0.95, 0.95, 0.95, 1.0)
        eye.data.materials.append(material)
    skin = bpy.data.materials.new("Skin")
    skin.diffuse_color = (0.8, 0.6, 0.5, 1.0)
    head.data.materials.append(skin)
    for ob in bpy.data.objects:
        ob.data.shade_smooth()
    bpy.ops.export_scene.gltf(filepath=str(path), export_format="GLB")
    return path


def head_scan(folder: Path) -> Path:
    """menpo3d's face scan (``james.obj`` with its material and texture) copied into ``folder``;
    the sdist is downloaded once into :data:`CACHE` and its sha256 checked on every use."""
    sdist = CACHE / SCAN_SDIST
    if not sdist.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(SCAN_URL, timeout=120) as response:
            sdist.with_suffix(".part").write_bytes(response.read())
        sdist.with_suffix(".part").replace(sdist)
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != SCAN_SHA256:
        raise RuntimeError(f"{sdist}: sha256 {digest} is not the pinned {SCAN_SHA256}; delete it")
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdist) as archive:
        for name in SCAN_FILES:
            source = archive.extractfile(f"menpo3d-0.8.6/menpo3d/data/{name}")
            assert source is not None, name
            with source, (folder / name).open("wb") as target:
                shutil.copyfileobj(source, target)
    return folder / "james.obj"
