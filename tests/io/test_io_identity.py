# SPDX-License-Identifier: GPL-3.0-or-later
"""Identities of the default head without Blender: the parameter strings and their errors, MakeHuman's
macro weights, seeded random draws, the skin blend and the shaped head (bulk, relative to the default)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from facs_rig.io import avatar_asset
from facs_rig.io.identity import (
    DEFAULT,
    ETHNIC,
    IdentityError,
    age_slider,
    details_of,
    macro_weights,
    parse_identity,
    shape,
    skin_factor,
    target_weights,
)

ASSET = avatar_asset.load(avatar_asset.DEFAULT_PATH)
DETAILS = details_of(ASSET)


def test_parameters_read_back_in_a_canonical_order() -> None:
    identity = parse_identity(" age=67 , African=1,gender=0.2, nose-hump-decr-incr=-0.4", DETAILS)
    assert identity.text == "gender=0.2,age=67,african=1,nose-hump-decr-incr=-0.4"
    assert parse_identity(identity.text, DETAILS) == identity
    macros = identity.macros()
    assert (macros["african"], macros["asian"], macros["caucasian"]) == (1.0, 0.0, 0.0)
    assert macros["muscle"] == 0.5 and macros["weight"] == 0.5  # not given: the default head's
    assert parse_identity("default", DETAILS) is DEFAULT and parse_identity("", DETAILS).is_default
    mixed = parse_identity("african=1,asian=0.5,caucasian=0.5", DETAILS).macros()
    assert [mixed[g] for g in ETHNIC] == [0.5, 0.25, 0.25]


@pytest.mark.parametrize(("text", "message"), [
    ("gendr=0.2", r"unknown parameter 'gendr'; did you mean gender\?"),
    ("nose-hump=0.3", r"unknown parameter 'nose-hump'; did you mean nose-hump-decr-incr"),
    ("colour=3", r"unknown parameter 'colour'; parameters are gender, age, african"),
    ("age=120", r"age=120 is out of range; use 1 to 90 years"),
    ("age=0.5", r"out of range; use 1 to 90 years"),
    ("gender=1.5", r"gender=1.5 is out of range; use 0 to 1"),
    ("head-oval=-0.5", r"head-oval=-0.5 is out of range; use 0 to 1"),
    ("nose-hump-decr-incr=2", r"out of range; use -1 to 1"),
    ("gender=nan", r"out of range"),
    ("gender0.2", r"'gender0.2' is not NAME=VALUE; write comma-separated pairs such as gender=0.2"),
    ("gender=0.2,,age=30", r"'' is not NAME=VALUE"),
    ("gender=x", r"gender=x: not a number"),
    ("gender=1,gender=0", r"gender is given twice"),
    ("african=0,asian=0", r"ethnic shares .* are all 0"),
    ("random:abc", r"expected random:SEED with SEED a whole number from 0 to 4294967295"),
    ("random:99999999999", r"expected random:SEED"),
])
def test_bad_identities_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(IdentityError, match=message):
        parse_identity(text, DETAILS)


def test_age_follows_makehumans_curve() -> None:
    assert [age_slider(y) for y in (1, 25, 90)] == [0.0, 0.5, 1.0]
    assert age_slider(11) == pytest.approx(10 / 48)  # child
    weights = macro_weights(parse_identity("age=57.5", DETAILS))  # halfway from young to old
    assert weights["caucasian-female-young"] == pytest.approx(weights["caucasian-female-old"])
    assert weights["caucasian-female-young"] == pytest.approx(0.5 * 0.5 / 3)
    child = macro_weights(parse_identity("age=10", DETAILS))
    assert child["asian-male-child"] == pytest.approx(0.5 / 3, rel=1e-3)  # MakeHuman's 5.333 for 16/3
    assert "asian-male-young" not in child


def test_macro_weights_are_makehumans_products() -> None:
    weights = macro_weights(parse_identity("gender=0.2,age=25,asian=1,muscle=0.75,weight=0.25", DETAILS))
    assert weights["asian-female-young"] == pytest.approx(0.8)
    assert weights["asian-male-young"] == pytest.approx(0.2)
    assert not any(name.startswith(("african", "caucasian")) for name in weights)
    # muscle 0.75: half average, half max; weight 0.25: half min, half average
    assert weights["universal-female-young-maxmuscle-minweight"] == pytest.approx(0.8 * 0.5 * 0.5)
    assert "universal-female-young-minmuscle-minweight" not in weights
    groups: dict[str, float] = {}
    for name, w in weights.items():
        groups[name.split("-")[0]] = groups.get(name.split("-")[0], 0.0) + w
    assert groups == pytest.approx({"asian": 1.0, "universal": 1.0})  # each combination sums to one


def test_default_identity_moves_nothing_and_others_move_differences() -> None:
    names = [ASSET.key_names[r] for r in ASSET.key_rows(avatar_asset.IDENTITY_SET)]
    assert not target_weights(DEFAULT, names, DETAILS).any()
    stated = parse_identity("gender=0.5,age=25,african=1,asian=1,caucasian=1,muscle=0.5,weight=0.5", DETAILS)
    assert not target_weights(stated, names, DETAILS).any()
    positions, joints = shape(ASSET, DEFAULT)
    assert positions is ASSET.positions and joints is ASSET.joint_positions
    moved, moved_joints = shape(ASSET, parse_identity("gender=1,age=70,african=1", DETAILS))
    assert moved.dtype == np.float32 and moved.shape == ASSET.positions.shape
    assert np.abs(moved - ASSET.positions).max() > 0.005  # millimetres at least somewhere
    assert np.abs(moved_joints - ASSET.joint_positions).max() > 0.001


def test_identity_keeps_the_neck_cut_and_shapes_the_face() -> None:
    cut = np.flatnonzero(ASSET.bone_weights[:, ASSET.bone_names.index("root")] == 1.0)  # held by the root
    assert len(cut) > 20
    for text in ("age=1", "gender=1,age=90,weight=1", "gender=0,age=20,asian=1"):
        moved, _ = shape(ASSET, parse_identity(text, DETAILS))
        assert np.abs(moved[cut] - ASSET.positions[cut]).max() < 2e-5, text  # weights are in 1/256 steps
    nose = parse_identity("nose-scale-horiz-decr-incr=1", DETAILS)
    wide, _ = shape(ASSET, nose)
    changed = np.flatnonzero(np.abs(wide - ASSET.positions).max(1) > 1e-5)
    assert 0 < len(changed) < ASSET.vertex_count / 5  # a detail moves its own region only
    assert np.ptp(wide[changed, 0]) > np.ptp(ASSET.positions[changed, 0])  # wider


def test_random_identities_are_seeded_plausible_and_recorded_as_parameters() -> None:
    first = parse_identity("random:7", DETAILS)
    assert first == parse_identity("RANDOM:7", DETAILS) and first.source == "random:7"
    assert parse_identity(first.text, DETAILS).values == first.values
    draws = [parse_identity(f"random:{seed}", DETAILS) for seed in range(40)]
    assert len({d.text for d in draws}) == 40
    for draw in draws:
        macros = draw.macros()
        assert 18 <= macros["age"] <= 80
        assert macros["gender"] <= 0.15 or macros["gender"] >= 0.85
        assert max(macros[g] for g in ETHNIC) >= 0.6
        assert 0 < len(draw.details()) <= 6
    assert {round(d.macros()["gender"]) for d in draws} == {0, 1}


def test_skin_follows_the_ethnic_mix() -> None:
    assert np.array_equal(skin_factor(DEFAULT), np.ones(3))
    dark, light = (skin_factor(parse_identity(f"{g}=1", DETAILS)) for g in ("african", "caucasian"))
    assert (dark < 0.5).all() and (light > 1.0).all()
    half = skin_factor(parse_identity("african=1,caucasian=1", DETAILS))
    assert np.allclose(half, (dark + light) / 2)  # a linear blend, as MakeHuman's litspheres


def test_shaping_a_head_is_fast() -> None:
    identity = parse_identity("gender=0.9,age=45,african=0.5,asian=0.5,nose-hump-decr-incr=0.5", DETAILS)
    shape(ASSET, identity)
    start = time.perf_counter()
    for _ in range(5):
        shape(ASSET, identity)
    assert (time.perf_counter() - start) / 5 < 0.1
