# SPDX-License-Identifier: GPL-3.0-or-later
"""The timeline schema and sample timelines shipped in presets/."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from facs_rig.core.evaluate import evaluate
from facs_rig.core.expressions import expression_names
from facs_rig.core.intensity import LETTERS, SCALES
from facs_rig.core.timeline import EVENT_KEYS, TOP_KEYS, TRACK_KEYS, load, sample_times, time_span

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "presets" / "timeline.schema.json").read_text())


def test_schema_describes_the_loaders_fields() -> None:
    assert SCHEMA["$schema"].startswith("https://json-schema.org/")
    assert set(SCHEMA["properties"]) == set(TOP_KEYS)
    assert set(SCHEMA["$defs"]["event"]["properties"]) == set(EVENT_KEYS)
    assert set(SCHEMA["$defs"]["track"]["properties"]) == set(TRACK_KEYS)
    assert SCHEMA["required"] == ["format", "version"]
    scale = SCHEMA["properties"]["intensity_scale"]["oneOf"]
    assert set(scale[0]["enum"]) == set(SCALES) and set(scale[1]["required"]) == set(LETTERS)


def test_demo_timeline_covers_the_brief() -> None:
    tl = load(ROOT / "presets" / "timelines" / "demo.json")
    _, end = time_span(tl)
    assert tl.fps == 30 and 11 <= end <= 12.5
    raw = json.loads((ROOT / "presets" / "timelines" / "demo.json").read_text())
    expressions = {e.get("expression") for e in raw["events"]}
    assert {"happiness", "surprise"} <= expressions
    aus = {e.au for e in tl.events}
    assert 45 in aus and aus & {51, 52} and aus & {61, 62}
    curves = evaluate(tl, sample_times(tl))
    assert curves.values.shape[1] == round(end * 30) + 1
    assert np.nanmax(curves.get("AU45_L")) == 1.0
    assert np.nanmax(curves.get("AU12_L")) > 0.5 and np.nanmax(curves.get("AU26")) > 0.2
    assert not tl.warnings


def test_sample_timelines_load_and_evaluate() -> None:
    for path in sorted((ROOT / "presets" / "timelines").glob("*.json")):
        tl = load(path)
        curves = evaluate(tl, sample_times(tl))
        assert curves.controls and np.nanmax(curves.values) > 0, path.name
        assert ((curves.values >= 0) & (curves.values <= 1)).all(), path.name


def test_schema_lists_the_expressions() -> None:
    assert SCHEMA["$defs"]["event"]["properties"]["expression"]["enum"] == expression_names()
