# SPDX-License-Identifier: GPL-3.0-or-later
"""What a rendered timeline shows, in FACS terms, for manifests: ``6D+12D+25B``.

Each AU channel is scored at its peak over the rendered time, as a coder scores an event at its
apex, with the timeline's own intensity scale; the result is FACS's canonical spelling
(``R12B+R14B`` for a one-sided smirk).
"""

from __future__ import annotations

import numpy as np

from .codes import canonical
from .evaluate import evaluate
from .intensity import scale_from_spec
from .model import Timeline, parse_control_name
from .timing import sample_times


def timeline_code(timeline: Timeline, times: np.ndarray | None = None) -> str:
    """The FACS score of a timeline's peaks over ``times`` (seconds; default: all of it);
    ``"0"`` when the face does not move then."""
    curves = evaluate(timeline, sample_times(timeline) if times is None else times)
    scale = scale_from_spec(timeline.intensity_scale)
    tokens = []
    for control, values in curves.as_dict().items():
        letter = scale.to_letter(float(values.max(initial=0.0)))
        if letter:
            au, channel = parse_control_name(control)
            tokens.append(f"{channel}{au}{letter}")
    return canonical("+".join(tokens)) if tokens else "0"
