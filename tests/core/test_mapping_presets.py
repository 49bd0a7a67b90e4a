# SPDX-License-Identifier: GPL-3.0-or-later
"""Mapping presets: the built-ins load and make sense, bad files fail with a located message,
and the linear view for solvers matches what the reference evaluator computes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from facs_rig.core.catalogue import all_controls
from facs_rig.core.errors import FacsError
from facs_rig.core.mapping import linear_shape_matrix, load_preset, parse_preset, preset_names
from facs_rig.core.mapping.evaluate import evaluate_targets
from facs_rig.core.mapping.resolve import resolve

BUILTINS = ("arkit52", "cc4", "facs_native", "makehuman", "mblab")


def test_builtins_are_listed_and_load() -> None:
    assert set(BUILTINS) <= set(preset_names())
    valid = set(all_controls())
    for name in BUILTINS:
        preset = load_preset(name)
        assert preset.name == name
        assert set(preset.controls) <= valid
        for combo in preset.combinations:
            assert set(combo.controls) <= set(preset.controls), (name, combo.name)


def test_arkit52_follows_facs_md_table() -> None:
    preset = load_preset("arkit52")
    primary = {c: [s.name for s in specs if s.kind == "shape"][:1] for c, specs in preset.controls.items()}
    assert primary["AU12_L"] == ["mouthSmileLeft"] and primary["AU12_R"] == ["mouthSmileRight"]
    assert primary["AU43_L"] == ["eyeBlinkLeft"] and primary["AU01_L"] == ["browInnerUp"]
    assert primary["AU28_T"] == ["mouthRollUpper"] and primary["AU28_B"] == ["mouthRollLower"]
    # gaze to the subject's left: the left eye looks out and the right eye looks in
    gaze = [s.name for s in preset.controls["AU61"] if s.kind == "shape"]
    assert gaze == ["eyeLookOutLeft", "eyeLookInRight"]
    # ARKit cannot show these (FACS.md section 6)
    for au in ("AU11_L", "AU13_L", "AU21_L", "AU31", "AU38_L", "AU39_L"):
        assert au not in preset.controls
    shapes = set(preset.target_names("shape"))
    assert len(shapes) == 50 and not {"mouthLeft", "mouthRight"} & shapes


def test_makehuman_covers_more_than_arkit() -> None:
    arkit, mh = load_preset("arkit52"), load_preset("makehuman")
    assert set(arkit.controls) < set(mh.controls)
    assert {"AU11_L", "AU13_R", "AU21_L", "AU38_L", "AU39_R"} <= set(mh.controls)


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"controls": {"AU12_L": []}}, "facs_rig_mapping"),
        ({"facs_rig_mapping": 1, "controls": {"AU12": [{"shape": "x"}]}}, "controls.AU12"),
        ({"facs_rig_mapping": 1, "controls": {"AU12_L": [{"shape": "x", "wieght": 1}]}},
         "controls.AU12_L[0].wieght"),
        ({"facs_rig_mapping": 1, "controls": {"AU51": [{"bone": "head", "axis": "W", "degrees": 3}]}},
         "controls.AU51[0].axis"),
        ({"facs_rig_mapping": 1, "controls": {"AU51": [{"bone": "head", "axis": "Z"}]}}, "controls.AU51[0]"),
        ({"facs_rig_mapping": 1, "controls": {"AU12_L": [{"shape": "x", "curve": [[0, 0], [0.8, 1]]}]}},
         "controls.AU12_L[0].curve"),
        ({"facs_rig_mapping": 1, "controls": {"AU12_L": [{"shape": "x", "weight": "1"}]}},
         "controls.AU12_L[0].weight"),
        ({"facs_rig_mapping": 1, "controls": {"AU12_L": [{"shape": "x"}]},
          "combinations": [{"controls": ["AU12_L"], "targets": [{"shape": "y"}]}]},
         "combinations[0].controls"),
        ({"facs_rig_mapping": 1, "controls": {"AU12_L": [{"shape": "x"}]},
          "combinations": [{"controls": ["AU12_L", "AU06_L"], "mode": "max", "targets": [{"shape": "y"}]}]},
         "combinations[0].mode"),
    ],
)
def test_bad_preset_names_the_json_path(data: dict, where: str) -> None:
    with pytest.raises(FacsError) as err:
        parse_preset(data, path=Path("mine.json"))
    assert f"mine.json: {where}:" in str(err.value)


def test_bad_json_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "facs_rig_mapping": 1,\n  "controls": {,}\n}\n')
    with pytest.raises(FacsError, match=r"broken\.json:3:16: invalid JSON"):
        load_preset(path)
    with pytest.raises(FacsError, match="unknown mapping preset 'nope'"):
        load_preset("nope")


def test_user_folder_presets_are_listed_and_shadow_builtins(tmp_path: Path) -> None:
    mine = {"facs_rig_mapping": 1, "label": "Mine", "controls": {"AU26": [{"shape": "Open"}]}}
    (tmp_path / "mine.json").write_text(json.dumps(mine))
    (tmp_path / "arkit52.json").write_text(json.dumps(mine))
    names = preset_names([tmp_path])
    assert names.count("arkit52") == 1 and "mine" in names
    assert load_preset("mine", [tmp_path]).label == "Mine"
    assert load_preset("arkit52", [tmp_path]).target_names("shape") == ["Open"]
    assert load_preset(tmp_path / "mine.json").name == "mine"


@pytest.mark.parametrize("name", BUILTINS)
def test_linear_matrix_matches_the_evaluator_one_control_at_a_time(name: str) -> None:
    preset = load_preset(name)
    controls, shapes, w = linear_shape_matrix(preset)
    assert w.shape == (len(shapes), len(controls))
    assert len(set(controls)) == len(controls) and len(set(shapes)) == len(shapes)
    resolved = resolve(preset, shapes)
    for j, control in enumerate(controls):
        out = evaluate_targets(resolved, {control: 1.0})
        got = np.array([out.get(f"shape:{s}", 0.0) for s in shapes], dtype=float)
        np.testing.assert_allclose(got, np.clip(w[:, j], 0, 1), atol=1e-12, err_msg=control)


def test_linear_matrix_of_arkit52() -> None:
    controls, shapes, w = linear_shape_matrix(load_preset("arkit52"))
    assert "AU51" not in controls  # bones only
    assert w[shapes.index("browInnerUp"), controls.index("AU01_L")] == pytest.approx(0.5)
    assert w[shapes.index("mouthSmileLeft"), controls.index("AU12_L")] == pytest.approx(1.0)
    # a curve counts by its value at full intensity
    assert w[shapes.index("cheekSquintLeft"), controls.index("AU12_L")] == pytest.approx(0.3)
    assert w[shapes.index("mouthSmileRight"), controls.index("AU12_L")] == 0.0
