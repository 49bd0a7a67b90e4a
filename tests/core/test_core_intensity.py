# SPDX-License-Identifier: GPL-3.0-or-later
"""Intensity scales of FACS.md section 2: letters to numbers and back."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from facs_rig.core.errors import FacsError
from facs_rig.core.intensity import LETTERS, SCALES, scale_from_spec


@pytest.mark.parametrize("name", ["facs", "linear", "openface"])
def test_letters_round_trip(name: str) -> None:
    scale = scale_from_spec(name)
    for letter in LETTERS:
        assert scale.to_letter(scale.to_value(letter)) == letter
    assert scale.to_value("") == 0.0 and scale.to_letter(0.0) == ""
    values = [scale.to_value(letter) for letter in LETTERS]
    assert values == sorted(values) and values[-1] == 1.0


def test_facs_band_table() -> None:
    """FACS.md: A <= 0.10, B <= 0.25, C <= 0.55, D <= 0.90, E <= 1.00; a letter is its band's top."""
    facs = scale_from_spec("facs")
    bands = {"A": (0.0, 0.10), "B": (0.10, 0.25), "C": (0.25, 0.55), "D": (0.55, 0.90), "E": (0.90, 1.0)}
    for letter, (low, high) in bands.items():
        assert facs.to_value(letter) == high
        assert facs.to_letter(high) == letter
        assert facs.to_letter(low + 1e-6) == letter
        assert facs.to_letter((low + high) / 2) == letter
    assert facs.to_letter(1.5) == "E" and facs.to_letter(-0.2) == ""


def test_linear_and_openface() -> None:
    assert [scale_from_spec("linear").to_value(x) for x in LETTERS] == [0.2, 0.4, 0.6, 0.8, 1.0]
    openface = scale_from_spec("openface")
    for r in range(6):  # OpenFace AUxx_r is 0..5, value = r / 5; r rounds to the nearest letter
        assert openface.to_level(r / 5) == r
        assert openface.to_level((r + 0.45) / 5) == r
    assert openface.to_letter(0.04) == "" and scale_from_spec("linear").to_letter(0.04) == "A"
    assert set(SCALES) == {"facs", "linear", "openface"}


def test_custom_table() -> None:
    scale = scale_from_spec({"A": 0.1, "B": 0.2, "C": 0.5, "D": 0.7, "E": 1})
    assert scale.to_value("C") == 0.5 and scale.to_letter(0.3) == "C"
    assert scale.spec() == {"A": 0.1, "B": 0.2, "C": 0.5, "D": 0.7, "E": 1.0}
    assert scale_from_spec("facs").spec() == "facs"


@pytest.mark.parametrize(
    "spec",
    [
        "loud",
        {"A": 0.1},
        {"A": 0.5, "B": 0.4, "C": 0.6, "D": 0.7, "E": 1.0},
        {"A": 0.1, "B": 0.2, "C": 0.3, "D": 0.4, "E": 1.2},
        {"A": 0, "B": 0.2, "C": 0.3, "D": 0.4, "E": 1},
        {"A": 0.1, "B": "x", "C": 0.3, "D": 0.4, "E": 1},
        {"A": 0.1, "B": 0.2, "C": 0.3, "D": 0.4, "E": 1, "F": 1},
        3,
        ["facs"],
    ],
)
def test_bad_specs(spec: object) -> None:
    with pytest.raises(FacsError):
        scale_from_spec(spec)  # type: ignore[arg-type]


def test_bad_letters_and_values() -> None:
    facs = scale_from_spec("facs")
    for bad in ("F", "a", "AB"):
        with pytest.raises(FacsError, match="letter"):
            facs.to_value(bad)
    for bad in (float("nan"), "0.5", None):
        with pytest.raises(FacsError):
            facs.to_letter(bad)  # type: ignore[arg-type]


tables = (
    st.lists(st.floats(0.01, 1.0), min_size=5, max_size=5, unique=True)
    .map(sorted)
    .filter(lambda v: min(b - a for a, b in itertools.pairwise(v)) > 1e-6)
)


@given(tables, st.lists(st.floats(-0.5, 1.5), max_size=30))
def test_custom_tables_round_trip_and_vectorise(values: list[float], samples: list[float]) -> None:
    scale = scale_from_spec(dict(zip(LETTERS, values, strict=True)))
    assert [scale.to_letter(scale.to_value(x)) for x in LETTERS] == list(LETTERS)
    levels = scale.to_levels(np.array(samples))
    assert levels.tolist() == [scale.to_level(x) for x in samples]
    assert all(
        scale.to_letter(x) == (LETTERS[n - 1] if n else "") for x, n in zip(samples, levels, strict=True)
    )
