# SPDX-License-Identifier: GPL-3.0-or-later
"""Tolerant name matching and binding presets to a mesh's names (auto, fallbacks, coverage)."""

from __future__ import annotations

import numpy as np
import pytest

from facs_rig.core.errors import FacsError
from facs_rig.core.mapping import load_preset, parse_preset
from facs_rig.core.mapping.matching import NameIndex, common_prefix, name_key
from facs_rig.core.mapping.resolve import bone_key, euler_order, resolve, resolve_auto


@pytest.mark.parametrize(
    "spellings",
    [
        ["eyeBlinkLeft", "eyeBlink_L", "EyeBlinkLeft", "Eye_Blink_L", "eye-blink.l", "eyeblinkleft"],
        ["LeftEye", "eye.L", "L_Eye", "Eye_L", "eyeLeft"],
        ["AU01L", "AU1_L", "AU01_L", "au_01_l"],
        ["browInnerUp", "Brow_Inner_Up", "BrowInnerUp"],
    ],
)
def test_spellings_share_a_key(spellings: list[str]) -> None:
    assert len({name_key(s) for s in spellings}) == 1


def test_distinct_names_keep_distinct_keys() -> None:
    names = ["eyeBlinkLeft", "eyeBlinkRight", "AU12", "AU12_L", "AU1_L", "AU11_L", "mouthLeft", "mouthSmile"]
    assert len({name_key(n) for n in names}) == len(names)


def test_index_prefers_exact_then_tolerant_and_strips_prefixes() -> None:
    index = NameIndex(["Face.eyeBlinkLeft", "A01_Brow_Inner_Up", "mouthSmile_L", "mouthSmileLeft"])
    assert index.find("mouthSmileLeft") == "mouthSmileLeft"
    assert index.find("mouthsmileleft") == "mouthSmileLeft"
    assert index.find("eyeBlinkLeft") == "Face.eyeBlinkLeft"
    assert index.find("browInnerUp") == "A01_Brow_Inner_Up"
    assert index.find("eyeBlinkRight") is None
    assert not index.ambiguous
    both = NameIndex(["mouthSmile_L", "MouthSmile.L"])
    assert both.find("mouthSmileLeft") == "mouthSmile_L"
    assert both.ambiguous and "mouthSmile_L" in both.ambiguous[0]


def test_common_prefix_of_a_rig() -> None:
    bones = ["CC_Base_Head", "CC_Base_L_Eye", "CC_Base_R_Eye", "CC_Base_NeckTwist01"]
    assert common_prefix(bones) == "CC_Base_"
    index = NameIndex(bones)
    assert index.find("Head") == "CC_Base_Head"
    assert index.find("LeftEye") == "CC_Base_L_Eye"
    assert common_prefix(["Basis", "jawOpen"]) == ""


def _names(preset: str, spell=lambda n: n) -> list[str]:
    return [spell(n) for n in load_preset(preset).target_names("shape")]


def test_fallback_stands_in_for_a_missing_target() -> None:
    preset = load_preset("facs_native")
    resolved = resolve(preset, ["AU12", "AU26", "AU04_L"])
    assert resolved.coverage.controls["AU12_L"] == ["shape:AU12"]
    assert resolved.coverage.controls["AU12_R"] == ["shape:AU12"]
    assert [t.gain for t in resolved.targets["shape:AU12"].terms] == [0.5, 0.5]
    assert "AU04_R" in resolved.coverage.uncovered
    assert "shape:AU04_R" in resolved.coverage.missing and "shape:AU12_L" not in resolved.coverage.missing
    assert resolved.controls == ["AU04_L", "AU12_L", "AU12_R", "AU26"]


def test_coverage_reports_unused_and_missing() -> None:
    resolved = resolve(load_preset("arkit52"), ["jawOpen", "mouthLeft", "myCorrective"])
    assert resolved.coverage.unused_shapes == ["mouthLeft", "myCorrective"]
    assert "shape:eyeBlinkLeft" in resolved.coverage.missing
    assert resolved.coverage.matched == {"shape:jawOpen": "jawOpen"}


def test_exclusions_are_limited_to_the_rig() -> None:
    resolved = resolve(load_preset("arkit52"), _names("arkit52"))
    assert resolved.exclusions["AU05_L"] == ("AU43_L", "AU45_L", "AU46_L")
    assert all(w in resolved.controls for ws in resolved.exclusions.values() for w in ws)
    partial = resolve(load_preset("arkit52"), ["eyeWideLeft"])
    assert partial.exclusions == {}


@pytest.mark.parametrize(
    ("preset", "spell"),
    [
        ("arkit52", lambda n: n),
        ("arkit52", lambda n: n.replace("Left", "_L").replace("Right", "_R")),
        ("arkit52", lambda n: "Face." + n[0].upper() + n[1:]),
        ("cc4", lambda n: n),
        ("mblab", lambda n: n),
        ("facs_native", lambda n: n.replace("_L", "L").replace("_R", "R")),
        ("makehuman", lambda n: n),
    ],
)
def test_auto_picks_the_convention(preset: str, spell) -> None:
    specs = [s for targets in load_preset(preset).controls.values() for s in targets]
    primaries = [s.name for s in specs if s.kind == "shape"]
    shapes = list(dict.fromkeys(spell(n) for n in primaries))
    best, ranking = resolve_auto(shapes)
    assert best.preset == preset
    assert ranking[0].preset == preset and len(ranking) >= 5
    assert not [m for m in best.coverage.missing if m.startswith("shape:") and m[6:] in primaries]


def test_auto_refuses_a_mesh_nothing_matches() -> None:
    with pytest.raises(FacsError, match="no mapping preset"):
        resolve_auto(["Key 1", "Key 2"])


def _rot_z(deg: float) -> np.ndarray:
    a = np.radians(deg)
    return np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])


def test_bone_axes_follow_the_bone_rest_frame() -> None:
    preset = parse_preset({"facs_rig_mapping": 1, "controls": {
        "AU51": [{"bone": "head", "axis": "Z", "degrees": 30}],
        "AU53": [{"bone": "head", "axis": "X", "degrees": -20}],
    }})
    # a bone pointing up (+Z world) with roll 0: local X = world X, local Y = world Z, local Z = -world Y
    rest = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], dtype=float)  # columns: local axes in world
    resolved = resolve(preset, [], {"head": rest.T})
    yaw = resolved.targets[bone_key("head", 1)].terms
    assert [(t.source, round(t.gain, 9)) for t in yaw] == [("AU51", round(np.radians(30), 9))]
    pitch = resolved.targets[bone_key("head", 0)].terms
    assert pitch[0].gain == pytest.approx(np.radians(-20))
    assert bone_key("head", 2) not in resolved.targets
    assert resolved.bone_orders["head"] == "ZXY"  # roll (world Y = local -Z) first, yaw (local Y) last
    # the same bone turned 90 degrees about Z: yaw stays on its local Y, pitch moves to local Z
    turned = resolve(preset, [], {"head": (_rot_z(90) @ rest).T})
    assert turned.targets[bone_key("head", 1)].terms[0].gain == pytest.approx(np.radians(30))
    assert turned.targets[bone_key("head", 2)].terms[0].gain == pytest.approx(np.radians(-20))
    assert bone_key("head", 0) not in turned.targets
    assert euler_order(np.eye(3)) == "YXZ"
