# SPDX-License-Identifier: GPL-3.0-or-later
"""The One Euro filter (Casiez, Roussel & Vogel, CHI 2012), over all AU values at once.

A low-pass filter whose cutoff rises with speed: still faces lose their tracker jitter, fast
movements keep their timing. ``min_cutoff`` (Hz) sets the smoothing at rest, ``beta`` how fast
the cutoff follows speed.
"""

from __future__ import annotations

import math

import numpy as np

MIN_CUTOFF = 1.0
BETA = 0.5
"""Defaults for 0..1 AU values at 30–60 Hz: jitter of a few hundredths is smoothed at rest, a
blink (0 to 1 in 0.1 s) lags by about one frame."""
D_CUTOFF = 1.0


def _alpha(dt: float, cutoff: np.ndarray | float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuro:
    def __init__(self, min_cutoff: float = MIN_CUTOFF, beta: float = BETA,
                 d_cutoff: float = D_CUTOFF) -> None:
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self._x: np.ndarray | None = None
        self._dx = np.zeros(0)
        self._t = 0.0

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        """The filtered ``x`` at time ``t`` (seconds); values added since the last call (a longer
        ``x``) start unfiltered, and a time that does not advance repeats the last output."""
        if self._x is None:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        if len(self._x) < len(x):
            self._x = np.concatenate([self._x, x[len(self._x):]])
            self._dx = np.concatenate([self._dx, np.zeros(len(x) - len(self._dx))])
        if t > self._t:
            dt = t - self._t
            self._dx = self._dx + _alpha(dt, self.d_cutoff) * ((x - self._x) / dt - self._dx)
            self._x = self._x + _alpha(dt, self.min_cutoff + self.beta * np.abs(self._dx)) * (x - self._x)
            self._t = t
        return self._x.copy()
