# SPDX-License-Identifier: GPL-3.0-or-later
"""The exclusion table of FACS.md section 3 in data, and the one resolution formula."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from facs_rig.core.catalogue import all_controls, controls, get_au
from facs_rig.core.combinations import excluded, exclusion_factors, exclusions, resolve_exclusions, rows
from facs_rig.core.evaluate import evaluate
from facs_rig.core.model import Event, Timeline, control_name

# FACS.md section 3, as the specification: row -> the pairs it stands for.
TABLE = {
    "5": [(5, 7), (5, 43), (5, 45), (5, 46)],
    "8": [(8, 24), (8, 34)],
    "16": [(16, 28)],
    "18": [(18, 28)],
    "19": [(19, 24), (19, 31), (19, 36), (19, 37)],
    "22": [(22, 28)],
    "24": [(24, 25), (24, 33), (24, 37)],
    "25": [(25, 34)],
    "26": [(26, 27), (26, 31)],
    "27": [(27, 31), (27, 32)],
    "28": [(28, 31), (28, 32)],
    "31": [(31, 36), (31, 37)],
    "32": [(32, 37)],
    "33": [(33, 34), (33, 35)],
    "34": [(34, 35)],
    "36": [(36, 37)],
    "38": [(38, 39)],
    "43": [(43, 45), (43, 46)],
    "45": [(45, 46)],
    "head": [(51, 52), (53, 54), (55, 56), (57, 58)],
    "eyes": [(61, 62), (63, 64), (65, 66), (61, 65), (61, 66), (62, 65), (62, 66)],
}


def test_every_row_of_the_table_is_in_data() -> None:
    assert list(rows()) == list(TABLE)
    data = {(ex.row, ex.a.au, ex.b.au) for ex in exclusions()}
    spec = {(row, a, b) for row, pairs in TABLE.items() for a, b in pairs}
    assert data == spec


def test_qualified_rows() -> None:
    (ex7,) = excluded(5, 7)
    assert ex7.b.min_letter == "E" and ex7.resolve == "warn"
    (ex16,) = excluded(16, 28)
    assert ex16.b.channel == "B"
    (ex22,) = excluded(22, 28)
    assert ex22.channels == "same" and not ex22.conflicting_channels("T", "B")
    assert ex22.conflicting_channels("B", "B")
    (ex18,) = excluded(18, 28)
    assert ex18.conflicting_channels("T", "B")
    assert {ex.resolve for ex in exclusions() if ex.row in ("head", "eyes")} == {"net"}
    assert all(ex.why for ex in exclusions())


def test_named_winners() -> None:
    def winner(a: int, b: int) -> int:
        (ex,) = excluded(a, b)
        assert ex.winner is not None
        return ex.winner.au

    assert winner(26, 27) == 27 and winner(5, 45) == 45 and winner(5, 43) == 43


def test_factors_name_real_controls() -> None:
    rig = set(all_controls())
    factors = exclusion_factors()
    assert factors and set(factors) <= rig
    assert all(set(w) <= rig and w for w in factors.values())
    assert factors["AU26"] == ["AU27"]
    assert factors["AU05_L"] == ["AU43_L", "AU45_L", "AU46_L"]
    assert factors["AU16_R"] == ["AU28_B"]
    assert factors["AU22_T"] == ["AU28_T"]
    factors["AU26"].append("AU99")
    assert exclusion_factors()["AU26"] == ["AU27"], "callers get a copy"


RESOLVED = [ex for ex in exclusions() if ex.winner is not None]


@pytest.mark.parametrize("ex", RESOLVED, ids=str)
def test_each_resolvable_pair_resolves_in_the_evaluator(ex) -> None:
    """Both AUs at full strength: the loser vanishes where they conflict; alone, it is untouched."""
    assert ex.loser is not None and ex.winner is not None
    times = np.array([0.0, 1.0, 2.0])
    winner_side = ex.winner.channel or "both"
    loser_side = ex.loser.channel or "both"
    both = Timeline(
        events=[
            Event(ex.winner.au, 1.0, 0, 0, 2, 2, side=winner_side),  # type: ignore[arg-type]
            Event(ex.loser.au, 0.8, 0, 0, 2, 2, side=loser_side),
        ]
    )  # type: ignore[arg-type]
    curves = evaluate(both, times)
    for ch in ex.loser.channels:
        assert np.allclose(curves.get(control_name(ex.loser.au, ch)), 0.0)
    assert np.allclose(
        evaluate(both, times, resolve=False).get(control_name(ex.loser.au, ex.loser.channels[0])), 0.8
    )
    for ch in ex.winner.channels:
        assert np.allclose(curves.get(control_name(ex.winner.au, ch)), 1.0)


def test_same_side_pairs_leave_the_other_side_alone() -> None:
    tl = Timeline(events=[Event(45, 1.0, 0, 0, 1, 1, side="L"), Event(5, 0.5, 0, 0, 1, 1)])
    curves = evaluate(tl, np.array([0.5]))
    assert curves.get("AU05_L")[0] == 0.0 and curves.get("AU05_R")[0] == 0.5


@given(st.dictionaries(st.sampled_from(all_controls()), st.floats(0, 1), min_size=1))
def test_resolution_is_the_product_formula(values: dict[str, float]) -> None:
    arrays = {k: np.array([v]) for k, v in values.items()}
    out = resolve_exclusions(arrays)
    factors = exclusion_factors()
    for name, value in values.items():
        expected = value * np.prod([1 - values.get(w, 0.0) for w in factors.get(name, [])])
        assert out[name][0] == pytest.approx(expected)
    assert all(arrays[k][0] == v for k, v in values.items()), "inputs untouched"


def test_every_factor_comes_from_a_pair_of_the_table() -> None:
    for loser, winners in exclusion_factors().items():
        loser_au = int(loser[2:4])
        for winner in winners:
            assert excluded(loser_au, int(winner[2:4])), (loser, winner)
    assert controls(get_au(28)) == ["AU28_T", "AU28_B"]
