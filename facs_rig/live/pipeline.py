# SPDX-License-Identifier: GPL-3.0-or-later
"""Frames to AU values: solve, override with direct values, calibrate, mirror, smooth.

Values live in one array over :attr:`Processor.keys` (AU, side), so the per-frame work is a few
vector operations whatever the source; a key first sent mid-stream (a FACSvatar AU) is appended.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.catalogue import channels_for_side
from ..core.errors import FacsError
from ..core.model import control_name
from ..io.blendshapes import DEFAULT_PRESET
from ..io.capture import AUKey
from .filters import BETA, MIN_CUTOFF, OneEuro
from .frame import LiveFrame
from .solver import LiveSolver

MIRRORED_AUS = {51: 52, 52: 51, 55: 56, 56: 55, 61: 62, 62: 61}
"""Head turn and tilt and gaze: left and right are different AUs, not sides."""
MIRRORED_SIDES = {"L": "R", "R": "L"}


@dataclass
class Options:
    smoothing: bool = False
    min_cutoff: float = MIN_CUTOFF
    beta: float = BETA
    mirror: bool = False
    """Swap the subject's left and right (a performer facing their avatar as in a mirror)."""
    gains: dict[int, float] = field(default_factory=dict)
    """Per-AU gain applied after the neutral is subtracted (AU number → factor)."""


def mirrored(key: AUKey) -> AUKey:
    au, side = key
    return (MIRRORED_AUS.get(au, au), MIRRORED_SIDES.get(side, side))


def controls_of(key: AUKey) -> tuple[str, ...]:
    """The rig controls a value moves: ``(12, "both")`` moves AU12_L and AU12_R; an AU the
    catalogue does not know moves nothing."""
    au, side = key
    try:
        return tuple(control_name(au, channel) for channel in channels_for_side(au, side))
    except FacsError:
        return ()


class Processor:
    def __init__(self, shape_names: list[str] | None, preset: str = DEFAULT_PRESET,
                 options: Options | None = None) -> None:
        self.options = options or Options()
        self.solver = LiveSolver(shape_names, preset) if shape_names else None
        self.keys: list[AUKey] = list(self.solver.keys) if self.solver else []
        self._index = {key: i for i, key in enumerate(self.keys)}
        self._solved_by_au: dict[int, list[int]] = {}
        for i, (au, _) in enumerate(self.keys):
            self._solved_by_au.setdefault(au, []).append(i)
        self.raw = np.zeros(len(self.keys))
        """The last frame's values before calibration, mirror and smoothing."""
        self.neutral: np.ndarray | None = None
        self._filter = OneEuro(self.options.min_cutoff, self.options.beta)
        self._gain = np.ones(len(self.keys))
        self._mirror = np.arange(len(self.keys))
        self._refresh()

    def _add(self, key: AUKey) -> int:
        if key not in self._index:
            self._index[key] = len(self.keys)
            self.keys.append(key)
        return self._index[key]

    def _refresh(self) -> None:
        """Gains and the mirror permutation over the current keys (after keys were added)."""
        if self.options.mirror:
            for key in list(self.keys):
                self._add(mirrored(key))
        self._gain = np.array([self.options.gains.get(au, 1.0) for au, _ in self.keys])
        self._mirror = np.array([self._index[mirrored(k)] for k in self.keys]) if self.options.mirror \
            else np.arange(len(self.keys))

    def set_options(self, options: Options) -> None:
        """Change gains, mirror and smoothing while running (smoothing restarts from the next frame)."""
        if (options.min_cutoff, options.beta) != (self.options.min_cutoff, self.options.beta):
            self._filter = OneEuro(options.min_cutoff, options.beta)
        self.options = options
        self._refresh()

    def capture_neutral(self) -> None:
        """The last frame becomes the neutral face subtracted from every frame after it."""
        self.neutral = self.raw.copy()

    def process(self, frame: LiveFrame, t: float) -> np.ndarray:
        """Values over :attr:`keys` for ``frame``, at time ``t`` (seconds) for the smoothing."""
        if any(key not in self._index for key in frame.direct):
            for key in frame.direct:
                self._add(key)
            self._refresh()
        x = np.zeros(len(self.keys))
        if self.solver is not None and frame.shapes is not None:
            x[: len(self.solver.keys)] = self.solver.solve(frame.shapes)
        for key, value in frame.direct.items():  # a direct value wins over the solve of its AU
            x[self._solved_by_au.get(key[0], [])] = 0.0
            x[self._index[key]] = value
        self.raw = x
        if self.neutral is not None:
            x = x - np.pad(self.neutral, (0, len(x) - len(self.neutral)))
        x = np.clip(x * self._gain, 0.0, 1.0)[self._mirror]
        if self.options.smoothing:
            x = np.clip(self._filter(x, t), 0.0, 1.0)
        return x
