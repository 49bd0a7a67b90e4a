# SPDX-License-Identifier: GPL-3.0-or-later
"""The numpy reference of the rig and the driver expressions built from the same resolution."""

from __future__ import annotations

import math

import numpy as np
import pytest

from facs_rig.core.errors import FacsError
from facs_rig.core.mapping import load_preset, parse_preset
from facs_rig.core.mapping.drivers import MAX_EXPRESSION, driver_specs, number
from facs_rig.core.mapping.evaluate import effective_controls, evaluate_targets
from facs_rig.core.mapping.resolve import resolve

BUILTINS = ("arkit52", "cc4", "facs_native", "makehuman", "mblab")


def _full(name: str):
    preset = load_preset(name)
    eye = {b: np.eye(3) for b in preset.target_names("bone")}
    return resolve(preset, preset.target_names("shape"), eye)


def test_exclusion_uses_raw_values() -> None:
    resolved = _full("arkit52")
    eff = effective_controls(resolved, {"AU05_L": 1.0, "AU43_L": 0.25, "AU45_L": 0.5, "AU46_L": 2.0})
    assert eff["AU46_L"] == pytest.approx(0.75)  # clamped to 1, times (1 - 43)
    assert eff["AU45_L"] == pytest.approx(0.5 * 0.75 * 0.0)  # 46 at full (clamped) wipes 45
    assert eff["AU05_L"] == pytest.approx(0.0)
    assert eff["AU05_R"] == 0.0


def test_vectorised_over_frames_with_scalars_broadcast() -> None:
    resolved = _full("arkit52")
    frames = np.linspace(0.0, 1.0, 11)
    out = evaluate_targets(resolved, {"AU12_L": frames, "AU06_L": 0.5, "AU99": 3.0})
    assert out["shape:mouthSmileLeft"].shape == (11,)
    np.testing.assert_allclose(out["shape:mouthSmileLeft"], frames)
    # cheekSquint: 0.5 from 6, plus 12's late curve, minus the 6+12 product correction
    expected = 0.5 + 0.3 * np.clip((frames - 0.5) / 0.5, 0, 1) - 0.3 * 0.5 * frames
    np.testing.assert_allclose(out["shape:cheekSquintLeft"], expected)
    assert out["shape:jawOpen"].shape == (11,) and not out["shape:jawOpen"].any()


def test_combinations_min_and_product_and_clamp() -> None:
    preset = parse_preset({"facs_rig_mapping": 1, "controls": {
        "AU25": [{"shape": "open", "weight": 0.8}],
        "AU26": [{"shape": "open", "weight": 0.8}, {"shape": "close", "weight": 0.7}],
        "AU51": [{"bone": "head", "axis": "Z", "degrees": 90}],
    }, "combinations": [
        {"controls": ["AU25", "AU26"], "mode": "min", "targets": [{"shape": "close", "weight": -0.7}]},
        {"controls": ["AU25", "AU26"], "mode": "product", "targets": [{"shape": "fix"}]},
    ]})
    resolved = resolve(preset, ["open", "close", "fix"], {"head": np.eye(3)})
    out = evaluate_targets(resolved, {"AU25": np.array([0.0, 1.0, 0.5]), "AU26": np.array([1.0, 1.0, 0.4]),
                                      "AU51": 1.0})
    np.testing.assert_allclose(out["shape:open"], [0.8, 1.0, 0.72])
    np.testing.assert_allclose(out["shape:close"], [0.7, 0.0, 0.7 * 0.4 - 0.7 * 0.4])
    np.testing.assert_allclose(out["shape:fix"], [0.0, 1.0, 0.2])
    assert out["bone:head:2"] == pytest.approx(math.pi / 2)  # bones are not clamped


def _run_expression(expression: str, variables: dict[str, str], values: dict[str, float]) -> float:
    """Evaluate a driver expression the way Blender's simple-expression evaluator does."""
    env = {"clamp": lambda x, lo, hi: min(max(x, lo), hi), "min": min, "max": max}
    env.update({var: min(max(values.get(ctrl, 0.0), 0.0), 1.0) for var, ctrl in variables.items()})
    return float(eval(expression, {"__builtins__": {}}, env))


@pytest.mark.parametrize("name", BUILTINS)
def test_driver_expressions_compute_the_reference(name: str) -> None:
    resolved = _full(name)
    rng = np.random.default_rng(7)
    specs = driver_specs(resolved)
    assert {s.key for s in specs} == set(resolved.targets)
    for _ in range(20):
        draws = rng.random(len(resolved.controls))
        values = {c: float(v) for c, v in zip(resolved.controls, draws, strict=True)}
        ref = evaluate_targets(resolved, values)
        for spec in specs:
            assert len(spec.expression) <= MAX_EXPRESSION and "**" not in spec.expression
            got = _run_expression(spec.expression, spec.variables, values)
            assert got == pytest.approx(float(ref[spec.key]), abs=1e-9), (spec.key, spec.expression)


def test_long_expressions_fall_back_to_short_names_then_fail() -> None:
    aus = (1, 2, 4, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16)
    many = {f"AU{n:02d}_L": [{"shape": "sum", "weight": 0.1234567891}] for n in aus}
    resolved = resolve(parse_preset({"facs_rig_mapping": 1, "controls": many}), ["sum"])
    (spec,) = driver_specs(resolved)
    assert set(spec.variables) == set("abcdefghijklm") and len(spec.expression) <= MAX_EXPRESSION
    huge = dict(many)
    curve = [[0, 0], [0.3, 0.1], [0.6, 0.7], [1, 1]]
    huge.update({f"AU{n:02d}_R": [{"shape": "sum", "weight": 0.5, "curve": curve}] for n in aus})
    with pytest.raises(FacsError, match="needs more than 255 characters"):
        driver_specs(resolve(parse_preset({"facs_rig_mapping": 1, "controls": huge}), ["sum"]))


def test_numbers_are_plain_literals() -> None:
    assert number(1.0) == "1" and number(-0.7) == "-0.7" and number(1e-12) == "0"
    assert float(number(math.radians(30))) == pytest.approx(math.radians(30), abs=1e-10)
