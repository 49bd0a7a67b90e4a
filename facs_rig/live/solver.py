# SPDX-License-Identifier: GPL-3.0-or-later
"""Blendshape weights to AU values one frame at a time, in tens of microseconds.

The importers solve a whole take at once (:func:`..core.solve.solve_bounded`): most of its cost is
setting the problem up, about 50 ms, which a 60 Hz stream cannot pay per frame. Here the problem
(:func:`..io.blendshapes.shape_problem`) is prepared once and each frame runs the same
primal-dual active-set method on the whole (small, strictly convex) problem, keeping the inverse of
every free-variable pattern it meets: a face holds few patterns, so after the first frames a solve
is a couple of small matrix products. The answer is the same minimiser as the batch solver's.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ..core.solve import solve_bounded
from ..io.blendshapes import DEFAULT_PRESET, shape_problem
from ..io.capture import AUKey

RIDGE = 1e-6
"""The batch solver's default ridge, so a live take and an imported one solve alike."""
MAX_ITER = 30
CACHED_PATTERNS = 256
"""Inverses kept (least recently used dropped): bounds memory over a long run."""


class LiveSolver:
    """AU values (0..1, one per :attr:`keys`) from one frame of weights in the source's order."""

    def __init__(self, names: list[str], preset: str = DEFAULT_PRESET) -> None:
        self.problem = shape_problem(names, preset)
        self.keys: list[AUKey] = list(self.problem.keys)
        W = self.problem.W
        gram = W.T @ W
        self.kappa = float(np.mean(np.diag(gram))) if W.size else 1.0
        self.kappa = self.kappa or 1.0
        self.H = gram + RIDGE * self.kappa * np.diag(self.problem.penalty)
        self.columns = np.asarray(self.problem.columns, dtype=np.intp)
        self._inverses: OrderedDict[bytes, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.fallbacks = 0
        """Frames the active set did not settle, finished by the batch solver."""

    def _inverse(self, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = free.tobytes()
        hit = self._inverses.get(key)
        if hit is not None:
            self._inverses.move_to_end(key)
            return hit
        index = np.flatnonzero(free)
        inverse = np.linalg.inv(self.H[np.ix_(index, index)]) if index.size else np.zeros((0, 0))
        self._inverses[key] = (index, inverse)
        if len(self._inverses) > CACHED_PATTERNS:
            self._inverses.popitem(last=False)
        return index, inverse

    def solve(self, weights: np.ndarray) -> np.ndarray:
        """``weights``: one value per source shape (NaN: not sent, read as 0)."""
        n = len(self.keys)
        if not n:
            return np.zeros(0)
        b = np.nan_to_num(np.asarray(weights, dtype=float)[self.columns], nan=0.0)
        c = b @ self.problem.W
        index, inverse = self._inverse(np.ones(n, dtype=bool))
        x: np.ndarray = np.clip(inverse @ c, 0.0, 1.0)
        state = np.full(n, -1, dtype=np.int8)
        for _ in range(MAX_ITER):
            lam = c - self.H @ x
            new = np.zeros(n, dtype=np.int8)
            new[lam + self.kappa * x < 0] = 1
            new[lam + self.kappa * (x - 1.0) > 0] = 2
            if new.tobytes() == state.tobytes():
                return x
            state = new
            fixed = (state == 2).astype(float)
            index, inverse = self._inverse(state == 0)
            rhs = c[index] - self.H[index] @ fixed
            x = np.asarray(fixed)
            x[index] = inverse @ rhs
        self.fallbacks += 1
        return np.asarray(solve_bounded(self.problem.W, b[None], penalty=self.problem.penalty).x[0])
