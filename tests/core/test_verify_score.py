# SPDX-License-Identifier: GPL-3.0-or-later
"""verify's pure half: what a code poses, the verdict rule on readings, views, output names and the
report text. No Blender, no reader: readings are written out as the solver would return them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from facs_rig.core.catalogue import all_controls
from facs_rig.core.errors import FacsError
from facs_rig.core.intensity import scale_from_spec
from facs_rig.render import verify as v

CONTROLS = all_controls()
FACS = scale_from_spec("facs")


def _pose(code: str, level: str = "E") -> v.Subject:
    return v.subject(code, level, FACS, CONTROLS)


def test_codes_pose_their_channels_and_letters_in_the_code_win() -> None:
    both = _pose("1+2", "C")
    assert dict(both.values) == {"AU01_L": 0.55, "AU01_R": 0.55, "AU02_L": 0.55, "AU02_R": 0.55}
    assert both.side == "" and both.intended == {1: ("L", "R"), 2: ("L", "R")}
    right = _pose("R12")
    assert dict(right.values) == {"AU12_R": 1.0} and right.side == "R" and right.code == "R12"
    surprise = _pose("Surprise")
    assert surprise.expression and surprise.code == "surprise"
    assert dict(surprise.values)["AU05_L"] == FACS.to_value("B")  # 5B stays slight at E
    assert _pose("contempt").side == "R"
    with pytest.raises(FacsError, match="no control AU09_L"):
        v.subject("9", "E", FACS, ["AU12_L", "AU12_R"])
    with pytest.raises(FacsError, match="intensity letters"):
        _pose("12", "F")


def test_views_parse_and_refuse_what_is_not_a_view() -> None:
    views = v.parse_views("front,left30,right15")
    assert [(w.name, w.yaw) for w in views] == [("front", 0.0), ("left30", 30.0), ("right15", -15.0)]
    for bad in ("up30", "left90", "left0", "front,front", ""):
        with pytest.raises(FacsError, match="--views"):
            v.parse_views(bad)


def test_output_names() -> None:
    assert list(v.output_targets(["out/r.json", "out/sheet.png"]).values()) == [Path("out/r.json"),
                                                                                 Path("out/sheet.png")]
    assert list(v.output_targets(["docs/head"]).values()) == [Path("docs/head.json"), Path("docs/head.md"),
                                                              Path("docs/head.png")]
    with pytest.raises(FacsError, match="given twice"):
        v.output_targets(["a", "a.md"])


NEUTRAL = {"AU12_L": 0.05, "AU12_R": 0.05, "AU07_L": 0.1, "AU25": 0.02}


def test_a_clear_reading_is_recognised_after_the_neutral_is_subtracted() -> None:
    s = v.score(_pose("12"), {"AU12_L": 0.85, "AU12_R": 0.65, "AU07_L": 0.3, "AU25": 0.02}, NEUTRAL)
    assert s.verdict == "recognised" and s.intended == {12: pytest.approx(0.8)}
    assert s.confusions == [(7, pytest.approx(0.2))]


def test_weak_or_outshone_readings_are_missed_and_say_why() -> None:
    weak = v.score(_pose("12"), {"AU12_L": 0.15, "AU12_R": 0.15}, NEUTRAL)
    assert weak.verdict == "missed" and weak.why == "AU12 reads 0.10 < 0.15"
    outshone = v.score(_pose("23"), {"AU23_T": 0.3, "AU23_B": 0.3, "AU12_L": 0.45}, NEUTRAL)
    assert outshone.verdict == "missed" and outshone.why.startswith("AU12 reads 0.40 ≥ AU23 0.30")
    combo = v.score(_pose("1+2"), {"AU01_L": 0.5, "AU02_L": 0.1}, {})
    assert combo.verdict == "missed" and "AU2 reads 0.10" in combo.why


def test_a_one_sided_code_must_read_on_its_own_side() -> None:
    right = v.score(_pose("R12"), {"AU12_R": 0.8, "AU12_L": 0.3}, {})
    assert right.verdict == "recognised" and right.side_margin == pytest.approx(0.5) and right.side_right
    assert right.confusions == []  # the other side of the same AU is the side test, not a confusion
    wrong = v.score(_pose("R12"), {"AU12_R": 0.5, "AU12_L": 0.45}, {})
    assert wrong.verdict == "missed" and wrong.side_right is False and "side margin" in wrong.why


def test_landmark_aus_are_judged_like_any_other_and_implied_aus_are_not_confusions() -> None:
    nose = v.score(_pose("9"), {"AU10_L": 0.05}, {})
    assert nose.verdict == "missed" and nose.why == "AU9 reads 0.00 < 0.15"
    duchenne = v.score(_pose("6+12"), {"AU12_L": 0.8, "AU06_R": 0.2, "AU07_L": 0.1}, {})
    assert duchenne.verdict == "recognised"
    assert duchenne.intended == {6: pytest.approx(0.2), 12: pytest.approx(0.8)}
    squint = v.score(_pose("6+12"), {"AU12_L": 0.8, "AU06_R": 0.2, "AU07_L": 0.3}, {})
    assert squint.verdict == "missed" and squint.why == "AU7 reads 0.30 ≥ AU6 0.20"
    stretch = v.score(_pose("27"), {"AU27": 0.3, "AU25": 0.9, "AU12_L": 0.2}, {})
    assert stretch.verdict == "recognised" and stretch.confusions == [(12, pytest.approx(0.2))]
    assert v.score(_pose("26"), {"AU26": 0.3, "AU25": 0.9}, {}).verdict == "missed"  # 26 does not imply 25
    assert v.score(_pose("12"), None, NEUTRAL).verdict == "no face"


def _report() -> v.Report:
    report = v.Report("default", "makehuman", "workbench", (384, 384), "facs", ("E",), v.parse_views("front"),
                      geometric=(6, 7, 9, 28))
    readings: dict[str, dict[str, float] | None] = {"12": {"AU12_L": 0.8, "AU12_R": 0.8}, "9": None,
                                                   "23": {"AU12_L": 0.4},
                                                   "happiness": {"AU06_L": 0.3, "AU12_L": 0.8}}
    for code, read in readings.items():
        posed = _pose(code)
        report.trials.append(v.Trial(posed, "front", v.score(posed, read, {}), 0.01))
    report.neutral["front"] = {}
    return report


def test_report_tallies_and_texts() -> None:
    report = _report()
    codes = report.tally(view="front", level="E", expression=False)
    assert (codes["recognised"], codes["missed"], codes["no face"], codes["all"]) == (1, 1, 1, 3)
    assert v.summary(codes) == "1 of 3 recognised (1 no face)"
    assert v.summary(report.tally(expression=True)) == "1 of 1 recognised"
    markdown = v.report_markdown(report, sheet="head.png")
    assert "- front, level E, codes: **1 of 3 recognised (1 no face)**" in markdown
    assert "| 23 | AU23 0.00 | AU12 0.40 |  | missed (AU23 reads 0.00 < 0.15) |" in markdown
    assert "| 9 | AU9 0.00 | none |  | no face (the reader found no face) |" in markdown
    assert "[head.png](head.png)" in markdown and "AU6, AU7, AU9, AU28 measured on the landmarks" in markdown
    doc = json.loads(v.report_json(report))
    assert doc["summary"][0] == {"view": "front", "level": "E", "kind": "codes", "recognised": 1, "missed": 1,
                                 "no face": 1, "all": 3}
    assert doc["rule"]["landmark_geometry"] == ["AU6", "AU7", "AU9", "AU28"]
    assert [t["verdict"] for t in doc["trials"]] == ["recognised", "no face", "missed", "recognised"]
    assert v.tile_label(report.trials[0]).splitlines() == ["12 E front OK", "12:0.80", "also -"]
    assert v.tile_label(report.trials[3]).splitlines() == ["happiness E front OK", "6:0.30 12:0.80", "also -"]
    assert v.tile_label(report.trials[1]).splitlines() == ["9 E front", "NO FACE READ"]
