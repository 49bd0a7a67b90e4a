# SPDX-License-Identifier: GPL-3.0-or-later
"""``verify`` as plain data: what is posed, how a reading is scored, the verdict and the report.

FACS coders validated FACSHuman and HapFACS by scoring their renders; ``verify`` does the same
with the built-in reader standing in for the coder. Everything here is pure (no bpy, no reader),
so the verdict rule is tested on numbers alone; :mod:`facs_rig.blender.verify` renders and reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.catalogue import get_au
from ..core.codes import format_code, parse_code
from ..core.errors import FacsError
from ..core.expressions import expression_info, expression_names
from ..core.intensity import LETTERS, IntensityScale
from ..core.model import parse_control_name
from ..core.timeline import code_events, pose_values

ATLAS_SET = ("1+2", "4", "5", "6+12", "9", "10", "12", "14", "15", "17", "18", "20", "22", "23", "24",
             "25+26", "27", "28", "43", "R12")
"""The codes issue 12 checks the default head on: the atlas AUs, a Duchenne smile and a one-sided one."""
DEFAULT_VIEWS = ("front",)
MIN_READ = 0.15
"""An intended AU must read at least this much above the neutral face (the top of FACS.md's A band
is 0.10: a reading below this is a trace a coder would not score)."""
SIDE_MARGIN = 0.10
"""A one-sided code's side must read at least this much above the same AU on the other side."""
TOP_CONFUSIONS = 3
IMPLIED: dict[int, tuple[int, ...]] = {27: (25,)}
"""AUs a code cannot be shown without, which are therefore not confusions: the mouth cannot be
stretched open (27) with the lips together, so a 27 always shows 25 (FACS writes it 25+27)."""
MAX_YAW = 60
"""Larger turns hide half the face, which is a test of the detector rather than of the avatar."""
VERDICTS = ("recognised", "missed", "no face")
FORMAT = "facs_rig_verify"
VERSION = 1


OUTPUT_KINDS = (".json", ".md", ".png")


def output_targets(paths: Sequence[str]) -> dict[str, Path]:
    """``-o`` values to the files written: a path ending in .json, .md or .png is that file; any
    other path is a base name for all three (``docs/verify/head`` → ``head.json``, ``.md``, ``.png``).
    Keys are the roles ``check_outputs`` names in its messages."""
    targets: dict[str, Path] = {}
    for text in paths:
        path = Path(text)
        kinds = [path] if path.suffix.lower() in OUTPUT_KINDS else \
            [path.with_name(path.name + kind) for kind in OUTPUT_KINDS]
        for target in kinds:
            role = f"-o {target}"
            if role in targets:
                raise FacsError(f"{target}: given twice as an output")
            targets[role] = target
    return targets


@dataclass(frozen=True)
class View:
    name: str
    yaw: float
    """Degrees the camera swings about the head's vertical axis; positive towards the subject's left."""


def parse_views(text: str) -> tuple[View, ...]:
    """``front,left30,right30``: the front view, or the camera moved N degrees (1..60) to the subject's
    left or right."""
    views = []
    for part in (p.strip().lower() for p in text.split(",")):
        match = re.fullmatch(r"(left|right)(\d{1,2})", part)
        if part == "front":
            views.append(View("front", 0.0))
        elif match and 1 <= int(match[2]) <= MAX_YAW:
            sign = 1.0 if match[1] == "left" else -1.0
            views.append(View(part, sign * int(match[2])))
        else:
            raise FacsError(f"--views {text!r}: {part!r} is not a view; use front, leftN or rightN "
                            f"with N from 1 to {MAX_YAW} degrees, e.g. front,left30,right30")
    if len({v.name for v in views}) != len(views):
        raise FacsError(f"--views {text!r}: a view is named twice")
    return tuple(views)


@dataclass(frozen=True)
class Subject:
    """One row of the report: an AU code or an expression, and the control values it poses."""

    code: str
    """What the row is called: ``1+2``, ``R12`` or an expression name."""
    level: str
    values: tuple[tuple[str, float], ...]
    side: str = ""
    """``L`` or ``R`` when every sided AU of the code is on that one side, else ``""``."""
    expression: bool = False

    @property
    def intended(self) -> dict[int, tuple[str, ...]]:
        """Each intended AU with the channels it is posed on."""
        out: dict[int, tuple[str, ...]] = {}
        for name, _value in self.values:
            au, channel = parse_control_name(name)
            out[au] = (*out.get(au, ()), channel)
        return out


def subject(code: str, level: str, scale: IntensityScale, controls: Sequence[str]) -> Subject:
    """The pose of a code (``1+2``, ``R12``) or an expression name at ``level``, exactly as *Set
    Pose* and timelines pose it: letters written in the code win (``5B`` in surprise stays slight).
    Controls the rig lacks are an error: an unchanged face would read as a miss of the rig, not of
    the shape."""
    if level not in LETTERS:
        raise FacsError(f"level {level!r}: use intensity letters A to E")
    text = code.strip()
    is_expression = not re.fullmatch(r"[A-Za-z]?\d.*", text)
    code_text, expression = ("", text) if is_expression else (text, "")
    events, _warnings = code_events(code=code_text, expression=expression, intensity=level, scale=scale)
    values = pose_values(events)
    missing = [name for name in values if name not in controls]
    if missing:
        raise FacsError(f"{text}: the rig has no control {', '.join(missing)}")
    sides = {e.side for e in events if get_au(e.au).sides == ("L", "R")}
    side = sides.pop() if len(sides) == 1 and sides <= {"L", "R"} else ""
    name = expression_info(text).name if is_expression else format_code(parse_code(text))
    return Subject(name, level, tuple(values.items()), side, is_expression)


def subjects(codes: Sequence[str], expressions: Sequence[str], levels: Sequence[str],
             scale: IntensityScale, controls: Sequence[str]) -> list[Subject]:
    """Every code, then every expression, at every level."""
    return [subject(c, level, scale, controls) for c in (*codes, *expressions) for level in levels]


def prototypes() -> tuple[str, ...]:
    """The emotion prototypes of the expression library (FACS.md section 5)."""
    return tuple(n for n in expression_names() if expression_info(n).kind == "prototype")


def au_read(read: Mapping[str, float], neutral: Mapping[str, float]) -> dict[tuple[int, str], float]:
    """Each (AU, channel) read, minus what the neutral face of the same view reads: the avatar's own
    resting face (a slight frown, parted lips) must not count as a movement."""
    return {parse_control_name(k): v - neutral.get(k, 0.0) for k, v in read.items()}


@dataclass
class Score:
    intended: dict[int, float]
    """Each intended AU's reading: the largest of its posed channels (FACS scores the stronger side)."""
    confusions: list[tuple[int, float]]
    """The strongest unintended AUs, largest first."""
    side_margin: float | None = None
    """For a one-sided code: the coded side's reading minus the other side's, averaged over its AUs."""
    verdict: str = "missed"
    why: str = ""

    @property
    def side_right(self) -> bool | None:
        return None if self.side_margin is None else self.side_margin >= SIDE_MARGIN


def score(posed: Subject, read: Mapping[str, float] | None, neutral: Mapping[str, float] | None) -> Score:
    """The verdict rule. A code is **recognised** when every intended AU reads at least
    :data:`MIN_READ`, the weakest of them reads above every unintended AU (AUs the code implies,
    :data:`IMPLIED`, are not unintended), and a one-sided code reads at least :data:`SIDE_MARGIN`
    stronger on its own side; no face found is ``no face``. Every AU counts: the ones the blendshape
    scores are blind to (6, 9, 28) are measured on the landmarks against the neutral render
    (:mod:`facs_rig.reader.geometry`), which ``verify`` always has."""
    intended = posed.intended
    if read is None or neutral is None:
        return Score(dict.fromkeys(intended, 0.0), [], None, "no face",
                     "the reader found no face" + ("" if read is None else " in the neutral render"))
    implied = {a for au in intended for a in IMPLIED.get(au, ())}
    delta = au_read(read, neutral)
    by_au: dict[int, float] = {}
    for (au, channel), value in delta.items():
        if au in intended and channel not in intended[au] and posed.side:
            continue  # the other side of a one-sided AU is judged by the side margin, not as a confusion
        by_au[au] = max(by_au.get(au, -1.0), value)
    got = {au: max(by_au.get(au, 0.0), 0.0) for au in intended}
    others = sorted(((au, v) for au, v in by_au.items()
                     if au not in intended and au not in implied and v > 0), key=lambda kv: (-kv[1], kv[0]))
    result = Score(got, others[:TOP_CONFUSIONS])
    if posed.side:
        other = "L" if posed.side == "R" else "R"
        margins = [delta.get((au, posed.side), 0.0) - delta.get((au, other), 0.0)
                   for au, channels in intended.items() if other in get_au(au).channels]
        result.side_margin = sum(margins) / len(margins) if margins else None
    weakest = min(got.items(), key=lambda kv: kv[1])
    if weakest[1] < MIN_READ:
        result.why = f"AU{weakest[0]} reads {weakest[1]:.2f} < {MIN_READ}"
    elif others and others[0][1] >= weakest[1]:
        result.why = f"AU{others[0][0]} reads {others[0][1]:.2f} ≥ AU{weakest[0]} {weakest[1]:.2f}"
    elif result.side_right is False:
        result.why = f"side margin {result.side_margin:.2f} < {SIDE_MARGIN}"
    else:
        result.verdict = "recognised"
    return result


@dataclass
class Trial:
    posed: Subject
    view: str
    score: Score
    residual: float | None = None
    """The solver's fit residual (RMS over the reader's blendshapes); None when no face was found."""


@dataclass
class Report:
    avatar: str
    preset: str
    engine: str
    resolution: tuple[int, int]
    scale: str
    levels: tuple[str, ...]
    views: tuple[View, ...]
    trials: list[Trial] = field(default_factory=list)
    neutral: dict[str, dict[str, float] | None] = field(default_factory=dict)
    """Per view, the AU values read on the neutral face (None: no face found)."""
    geometric: tuple[int, ...] = ()
    """AUs measured on the landmarks' geometry rather than solved from the blendshape scores, which
    are blind to some of them (:mod:`facs_rig.reader.geometry` says which and why)."""

    def tally(self, *, view: str | None = None, level: str | None = None,
              expression: bool | None = None) -> dict[str, int]:
        """How many trials got each verdict (and ``all``), among those of ``view``, ``level`` and kind
        (codes or expressions); None selects all."""
        counts = dict.fromkeys((*VERDICTS, "all"), 0)
        for t in self.trials:
            if (view is None or t.view == view) and (level is None or t.posed.level == level) \
                    and (expression is None or t.posed.expression == expression):
                counts[t.score.verdict] += 1
                counts["all"] += 1
        return counts


def summary(counts: Mapping[str, int]) -> str:
    """``17 of 20 recognised``, with ``(2 no face)`` added when the reader found no face in some of
    the codes not recognised: every code counts, so a face the reader loses lowers the score."""
    text = f"{counts['recognised']} of {counts['all']} recognised"
    return text + (f" ({counts['no face']} no face)" if counts["no face"] else "")


def _au_list(items: Sequence[tuple[int, float]]) -> str:
    return ", ".join(f"AU{au} {value:.2f}" for au, value in items) or "none"


def tile_label(trial: Trial) -> str:
    """Three short lines under a tile: what was posed, what was read, what else was read."""
    s = trial.score
    head = f"{trial.posed.code} {trial.posed.level} {trial.view}"
    if s.verdict == "no face":
        return f"{head}\nNO FACE READ\n"
    mark = "OK" if s.verdict == "recognised" else "MISSED"
    read = " ".join(f"{au}:{v:.2f}" for au, v in s.intended.items())
    if s.side_margin is not None:
        read += f" side{'+' if s.side_right else '-'}"
    others = " ".join(f"{au}:{v:.2f}" for au, v in s.confusions[:2])
    return f"{head} {mark}\n{read}\nalso {others or '-'}"


def _trial_dict(trial: Trial) -> dict[str, Any]:
    s = trial.score
    return {
        "code": trial.posed.code,
        "level": trial.posed.level,
        "view": trial.view,
        "posed": dict(trial.posed.values),
        "side": trial.posed.side or None,
        "read": {f"AU{au}": round(v, 4) for au, v in s.intended.items()},
        "confusions": [[f"AU{au}", round(v, 4)] for au, v in s.confusions],
        "side_margin": None if s.side_margin is None else round(s.side_margin, 4),
        "side_right": s.side_right,
        "verdict": s.verdict,
        "why": s.why,
        "residual": None if trial.residual is None else round(trial.residual, 4),
    }


def sections(report: Report) -> list[tuple[str, str, bool]]:
    """(view, level, expressions?) of every table, in report order."""
    kinds = sorted({t.posed.expression for t in report.trials})
    return [(v.name, level, kind) for v in report.views for level in report.levels for kind in kinds
            if report.tally(view=v.name, level=level, expression=kind)["all"]]


def report_json(report: Report) -> str:
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "avatar": report.avatar,
        "preset": report.preset,
        "engine": report.engine,
        "resolution": list(report.resolution),
        "scale": report.scale,
        "levels": list(report.levels),
        "views": {v.name: v.yaw for v in report.views},
        "rule": {"min_read": MIN_READ, "side_margin": SIDE_MARGIN,
                 "landmark_geometry": [f"AU{au}" for au in report.geometric],
                 "implied": {f"AU{au}": [f"AU{a}" for a in aus] for au, aus in IMPLIED.items()}},
        "summary": [{"view": view, "level": level, "kind": "expressions" if kind else "codes",
                     **report.tally(view=view, level=level, expression=kind)}
                    for view, level, kind in sections(report)],
        "neutral": {view: None if aus is None else {k: round(v, 4) for k, v in aus.items() if v >= 0.005}
                    for view, aus in report.neutral.items()},
        "trials": [_trial_dict(t) for t in report.trials],
    }
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def _measured_by(report: Report) -> str:
    geometric = ", ".join(f"AU{au}" for au in report.geometric)
    return f"{geometric} measured on the landmarks (change from the neutral render). " if geometric else ""


def report_markdown(report: Report, *, sheet: str | None = None) -> str:
    """One table per view, level and kind (codes, expressions): the intended AUs read, the top
    confusions, the side of a one-sided code, the verdict (and why a miss missed)."""
    lines = [
        f"# verify: {report.avatar}",
        "",
        f"Preset `{report.preset}`, {report.engine} {report.resolution[0]}×{report.resolution[1]}, "
        f"scale `{report.scale}`. Each render is read by the built-in reader and solved for AUs; the "
        f"neutral face's reading in the same view is subtracted. **Recognised**: every intended AU reads "
        f"≥ {MIN_READ}, the weakest of them reads above every unintended AU, and a one-sided code reads "
        f"≥ {SIDE_MARGIN} stronger on its own side. "
        + _measured_by(report) + "Rule and method: [docs/verify.md](../verify.md).",
        "",
    ]
    lines += [f"- {view}, level {level}, {'expressions' if kind else 'codes'}: **"
              f"{summary(report.tally(view=view, level=level, expression=kind))}**"
              for view, level, kind in sections(report)]
    if sheet:
        lines += ["", f"Contact sheet: [{sheet}]({sheet})"]
    for view, level, kind in sections(report):
        rows = [t for t in report.trials
                if t.view == view and t.posed.level == level and t.posed.expression == kind]
        lines += ["", f"## {view}, level {level}, {'expressions' if kind else 'codes'}: "
                      f"{summary(report.tally(view=view, level=level, expression=kind))}", "",
                  "| code | read (intended AUs) | top confusions | side | verdict |",
                  "|---|---|---|---|---|"]
        for t in rows:
            s = t.score
            side = "" if s.side_margin is None else \
                f"{t.posed.side} {'right' if s.side_right else 'wrong'} ({s.side_margin:+.2f})"
            read = ", ".join(f"AU{au} {v:.2f}" for au, v in s.intended.items())
            verdict = s.verdict + (f" ({s.why})" if s.why else "")
            lines.append(f"| {t.posed.code} | {read} | {_au_list(s.confusions)} | {side} | {verdict} |")
    return "\n".join(lines) + "\n"
