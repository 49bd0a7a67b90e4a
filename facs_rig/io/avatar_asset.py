# SPDX-License-Identifier: GPL-3.0-or-later
"""The default avatar's asset file: one ``.npz`` of plain numpy arrays, written by
``tools/build_avatar_asset.py`` and read by ``facs_rig.blender.avatar``.

The format lives here, in one pure module, so the writer and the reader cannot drift apart and the
loader can be tested without Blender. Every array is already in Blender's frame (Z up, metres, the
face looking along -Y, the subject's left at +X), so creating the avatar is only bulk copies.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import FacsError
from ..core.files import replaced_on_success
from ..paths import ASSETS

FORMAT = "facs_rig.default_head"
FORMAT_VERSION = 2
DEFAULT_PATH = ASSETS / "default_head.npz"
"""Where the build writes the default head and the add-on reads it."""

ARKIT_SET = "arkit"
"""Key set of the 52 ARKit face units."""
IDENTITY_SET = "identity"
"""Key set of MakeHuman's identity targets (macro and face-detail), which shape the neutral face
instead of becoming shape keys; every other key set is a MakeHuman expression-unit variant."""


class AvatarAssetError(FacsError):
    """The asset file is missing, stale or damaged; the message says how to rebuild it."""


@dataclass(frozen=True, eq=False)
class AvatarAsset:
    """A head mesh with sparse shape keys, skin weights, joint pivots and encoded textures.

    Faces are stored as loops: ``face_starts[i]`` is the first loop of face ``i`` (faces may be
    quads or triangles); ``loop_vertices`` and ``loop_uvs`` have one row per loop.
    Shape keys are compressed rows: key ``k`` moves ``key_indices[key_starts[k]:key_starts[k+1]]``
    by ``key_deltas`` over the same range.
    """

    positions: np.ndarray  # (N, 3) float32
    face_starts: np.ndarray  # (F,) int32
    loop_vertices: np.ndarray  # (L,) int32
    loop_uvs: np.ndarray  # (L, 2) float32
    face_materials: np.ndarray  # (F,) int32, index into material_names
    material_names: tuple[str, ...]
    key_names: tuple[str, ...]
    key_sets: tuple[str, ...]  # one per key: "arkit" or an expression variant name
    key_starts: np.ndarray  # (K + 1,) int64
    key_indices: np.ndarray  # (nnz,) int32
    key_deltas: np.ndarray  # (nnz, 3) float32
    bone_names: tuple[str, ...]
    bone_weights: np.ndarray  # (N, B) float32, rows sum to 1
    joint_names: tuple[str, ...]
    joint_positions: np.ndarray  # (J, 3) float32
    identity_joints: np.ndarray  # (identity keys, J, 3) float32: how each identity target moves the joints
    textures: Mapping[str, bytes]  # name -> encoded image file (PNG or JPEG)
    meta: Mapping[str, Any]  # provenance: source wheel, hashes, licences, build parameters

    @property
    def vertex_count(self) -> int:
        return int(self.positions.shape[0])

    @cached_property
    def variants(self) -> tuple[str, ...]:
        """Expression-unit variants in the file, the default one first."""
        found = dict.fromkeys(s for s in self.key_sets if s not in (ARKIT_SET, IDENTITY_SET))
        default = self.meta.get("default_variant")
        return tuple(sorted(found, key=lambda v: (v != default, v)))

    def joint(self, name: str) -> np.ndarray:
        return np.asarray(self.joint_positions[self.joint_names.index(name)])

    def key_rows(self, key_set: str) -> list[int]:
        return [i for i, s in enumerate(self.key_sets) if s == key_set]

    def key_delta(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """(indices, deltas) of key ``row``."""
        lo, hi = int(self.key_starts[row]), int(self.key_starts[row + 1])
        return self.key_indices[lo:hi], self.key_deltas[lo:hi]

    def key_dense(self, row: int) -> np.ndarray:
        """The key's offsets for every vertex, (N, 3) float32."""
        out = np.zeros_like(self.positions)
        idx, delta = self.key_delta(row)
        out[idx] = delta
        return out

    def material_faces(self, name: str) -> np.ndarray:
        return np.flatnonzero(self.face_materials == self.material_names.index(name))

    def material_vertices(self, name: str) -> np.ndarray:
        """Vertices used by the faces of one material."""
        starts = np.append(self.face_starts, len(self.loop_vertices))
        faces = self.material_faces(name)
        loops = np.concatenate([np.arange(starts[f], starts[f + 1]) for f in faces])
        return np.asarray(np.unique(self.loop_vertices[loops]))


_STR_FIELDS = ("material_names", "key_names", "key_sets", "bone_names", "joint_names")


def save(path: Path, asset: AvatarAsset) -> None:
    """Write ``asset`` compressed; textures become ``texture:<name>`` byte arrays."""
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT),
        "format_version": np.array(FORMAT_VERSION),
        "meta": np.array(json.dumps(asset.meta, sort_keys=True)),
    }
    for name in (
        "positions",
        "face_starts",
        "loop_vertices",
        "loop_uvs",
        "face_materials",
        "key_starts",
        "key_indices",
        "key_deltas",
        "bone_weights",
        "joint_positions",
        "identity_joints",
    ):
        arrays[name] = np.asarray(getattr(asset, name))
    for name in _STR_FIELDS:
        arrays[name] = np.array(getattr(asset, name), dtype=str)
    for name, data in asset.textures.items():
        arrays[f"texture:{name}"] = np.frombuffer(data, dtype=np.uint8)
    with replaced_on_success(path) as (tmp,):  # keeps the .npz suffix, so numpy adds none
        np.savez_compressed(tmp, **arrays)


def load(path: Path) -> AvatarAsset:
    """Read and check an asset file; any problem raises :class:`AvatarAssetError` naming the file."""
    hint = "rebuild it with `make assets` (tools/build_avatar_asset.py)"
    if not path.is_file():
        raise AvatarAssetError(f"{path}: default avatar asset not found; {hint}")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise AvatarAssetError(f"{path}: unreadable avatar asset ({exc}); {hint}") from exc
    if str(arrays.get("format", "")) != FORMAT:
        raise AvatarAssetError(f"{path}: not a facs_rig avatar asset; {hint}")
    version = int(arrays.get("format_version", -1))
    if version != FORMAT_VERSION:
        raise AvatarAssetError(
            f"{path}: avatar asset format {version}, this facs_rig reads {FORMAT_VERSION}; {hint}"
        )
    try:
        asset = AvatarAsset(
            positions=arrays["positions"],
            face_starts=arrays["face_starts"],
            loop_vertices=arrays["loop_vertices"],
            loop_uvs=arrays["loop_uvs"],
            face_materials=arrays["face_materials"],
            key_starts=arrays["key_starts"],
            key_indices=arrays["key_indices"],
            key_deltas=arrays["key_deltas"],
            bone_weights=arrays["bone_weights"],
            joint_positions=arrays["joint_positions"],
            identity_joints=arrays["identity_joints"],
            textures={
                name.removeprefix("texture:"): arrays[name].tobytes()
                for name in arrays
                if name.startswith("texture:")
            },
            meta=json.loads(str(arrays["meta"])),
            **{name: tuple(str(s) for s in arrays[name]) for name in _STR_FIELDS},
        )
    except KeyError as exc:
        raise AvatarAssetError(f"{path}: avatar asset lacks array {exc}; {hint}") from exc
    problem = check(asset)
    if problem:
        raise AvatarAssetError(f"{path}: {problem}; {hint}")
    return asset


def check(asset: AvatarAsset) -> str:
    """The first inconsistency between the arrays, or "" when they agree."""
    n = asset.vertex_count
    loops, keys = asset.loop_vertices, asset.key_indices
    rules = (
        (asset.positions.ndim == 2 and asset.positions.shape[1] == 3, "positions must be (N, 3)"),
        (len(asset.loop_uvs) == len(loops), "loop_uvs and loop_vertices differ in length"),
        (not len(loops) or 0 <= loops.min() <= loops.max() < n, "a face uses a vertex index out of range"),
        (len(asset.face_materials) == len(asset.face_starts), "face_materials and face_starts differ"),
        (
            not len(asset.face_materials) or asset.face_materials.max() < len(asset.material_names),
            "a face uses a material index out of range",
        ),
        (
            len(asset.key_names) == len(asset.key_sets) == len(asset.key_starts) - 1,
            "key_names, key_sets and key_starts disagree",
        ),
        (
            asset.key_starts[-1] == len(keys) == len(asset.key_deltas),
            "key_starts, key_indices and key_deltas disagree",
        ),
        (not len(keys) or 0 <= keys.min() <= keys.max() < n, "a shape key moves a vertex index out of range"),
        (asset.bone_weights.shape == (n, len(asset.bone_names)), "bone_weights must be (vertices, bones)"),
        (asset.joint_positions.shape == (len(asset.joint_names), 3), "joint_positions must be (joints, 3)"),
        (
            asset.identity_joints.shape == (asset.key_sets.count(IDENTITY_SET), len(asset.joint_names), 3),
            "identity_joints must be (identity keys, joints, 3)",
        ),
    )
    return next((message for ok, message in rules if not ok), "")
