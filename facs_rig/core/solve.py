# SPDX-License-Identifier: GPL-3.0-or-later
"""Box-bounded linear least squares for many right-hand sides at once, in numpy alone.

Importers turn blendshape weights back into AU intensities by inverting a linear mapping: find
``x`` in ``[lower, upper]`` with ``W @ x`` close to the weights ``b`` of each frame. Blender ships
numpy but not scipy, so this is a small primal-dual active-set method (Hintermüller, Ito & Kunisch
2003) batched over frames: all frames that share one pattern of variables at their bounds are
solved with one factorisation, and a take rarely has more than a few hundred such patterns. Frames
the active-set iteration does not settle (it can cycle on badly conditioned systems) finish with
accelerated projected gradient, which always converges.

A small ridge term makes the problem strictly convex, so directions the mapping cannot tell apart
(several controls moving one shape) get a definite answer: the one with the smallest weighted norm.
Per-variable ``penalty`` weights say which of such controls to prefer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import FacsError

_FREE, _LOWER, _UPPER = 0, 1, 2


@dataclass(frozen=True)
class BoundedSolution:
    x: np.ndarray
    """(n_frames, n_vars) solution; NaN rows where the right-hand side had a NaN (a gap)."""
    residual: np.ndarray
    """(n_frames,) root-mean-square of ``W @ x - b`` over the rows of ``W``; NaN for gaps."""
    iterations: int
    """Active-set iterations used (projected-gradient steps of stragglers not counted)."""
    fallback_frames: int
    """Frames finished by projected gradient because the active-set iteration did not settle."""


def solve_bounded(
    W: np.ndarray,
    B: np.ndarray,
    *,
    lower: float | np.ndarray = 0.0,
    upper: float | np.ndarray = 1.0,
    ridge: float = 1e-6,
    penalty: np.ndarray | None = None,
    max_iter: int = 30,
) -> BoundedSolution:
    """Minimise ``|W x - b|² + ridge·scale·Σ penalty_j x_j²`` with ``lower <= x <= upper`` per row of B.

    ``W`` is (n_rows, n_vars), ``B`` is (n_frames, n_rows); ``scale`` is the mean diagonal of ``WᵀW``
    so ``ridge`` is relative. Rows of ``B`` holding NaN are gaps and come back as NaN.
    """
    W = np.asarray(W, dtype=float)
    B = np.atleast_2d(np.asarray(B, dtype=float))
    if W.ndim != 2 or B.shape[1] != W.shape[0]:
        raise FacsError(f"solve_bounded: W is {W.shape}, B is {B.shape}; B needs one column per row of W")
    n_vars = W.shape[1]
    lo = np.broadcast_to(np.asarray(lower, dtype=float), (n_vars,)).copy()
    hi = np.broadcast_to(np.asarray(upper, dtype=float), (n_vars,)).copy()
    if np.any(lo > hi):
        raise FacsError("solve_bounded: a lower bound is above its upper bound")
    weights = np.ones(n_vars) if penalty is None else np.asarray(penalty, dtype=float)
    gram = W.T @ W
    scale = float(np.mean(np.diag(gram))) or 1.0
    H = gram + ridge * scale * np.diag(weights)

    x = np.full((B.shape[0], n_vars), np.nan)
    rows = np.flatnonzero(np.all(np.isfinite(B), axis=1))
    iterations, fallback = 0, 0
    if rows.size and n_vars:
        C = B[rows] @ W
        X = np.empty_like(C)
        for block in _blocks(H):
            Hb, Cb = H[np.ix_(block, block)], C[:, block]
            Xb, used, unsettled = _active_set(Hb, Cb, lo[block], hi[block], kappa=scale, max_iter=max_iter)
            if unsettled.any():
                fallback += int(unsettled.sum())
                Xb[unsettled] = _projected_gradient(Hb, Cb[unsettled], Xb[unsettled], lo[block], hi[block])
            X[:, block] = Xb
            iterations = max(iterations, used)
        x[rows] = X
    residual = np.sqrt(np.mean((x @ W.T - B) ** 2, axis=1)) if W.shape[0] else np.zeros(B.shape[0])
    return BoundedSolution(x, residual, iterations, fallback)


def _blocks(H: np.ndarray) -> list[np.ndarray]:
    """Index sets of the independent sub-problems: connected components of H's coupling graph.

    A mapping moves most shapes from one control, so most blocks are single controls and the rest
    are small; each block's active-set patterns then stay few.
    """
    coupled = np.abs(H) > 0
    label = np.full(H.shape[0], -1)
    blocks: list[np.ndarray] = []
    for seed in range(H.shape[0]):
        if label[seed] >= 0:
            continue
        members, frontier = {seed}, [seed]
        while frontier:
            found = set(np.flatnonzero(coupled[frontier].any(axis=0)).tolist()) - members
            members |= found
            frontier = sorted(found)
        block = np.array(sorted(members))
        label[block] = len(blocks)
        blocks.append(block)
    return blocks


def _active_set(
    H: np.ndarray, C: np.ndarray, lo: np.ndarray, hi: np.ndarray, *, kappa: float, max_iter: int
) -> tuple[np.ndarray, int, np.ndarray]:
    """Primal-dual active set on ``½xᵀHx - cᵀx`` for every row ``c`` of ``C``.

    Returns the solutions, the iteration count and a mask of rows whose active sets still changed.
    """
    X = np.clip(np.linalg.solve(H, C.T).T, lo, hi)
    lam = C - X @ H  # KKT multiplier: >= 0 where x sits on its upper bound, <= 0 on its lower
    state = np.full(C.shape, -1, dtype=np.int8)
    pending = np.ones(C.shape[0], dtype=bool)
    for iteration in range(1, max_iter + 1):
        rows = np.flatnonzero(pending)
        new = np.full((rows.size, C.shape[1]), _FREE, dtype=np.int8)
        new[lam[rows] + kappa * (X[rows] - lo) < 0] = _LOWER
        new[lam[rows] + kappa * (X[rows] - hi) > 0] = _UPPER
        settled = np.all(new == state[rows], axis=1)
        pending[rows[settled]] = False
        rows, new = rows[~settled], new[~settled]
        if not rows.size:
            return X, iteration, pending
        state[rows] = new
        X[rows] = _solve_with_fixed(H, C[rows], new, lo, hi)
        lam[rows] = C[rows] - X[rows] @ H
    return X, max_iter, pending


def _solve_with_fixed(H: np.ndarray, C: np.ndarray, state: np.ndarray, lo: np.ndarray,
                      hi: np.ndarray) -> np.ndarray:
    """Each row's minimiser with the variables marked LOWER/UPPER held at that bound.

    Rows sharing a pattern share one factorisation; when nearly every row has its own pattern, one
    stacked solve of the masked systems is cheaper than a Python loop over patterns.
    """
    free = state == _FREE
    fixed = np.where(state == _UPPER, hi, np.where(state == _LOWER, lo, 0.0))
    rhs = np.where(free, C - fixed @ H, fixed)
    patterns, inverse, counts = np.unique(state, axis=0, return_inverse=True, return_counts=True)
    if len(patterns) * 8 > len(state):
        out = np.empty_like(rhs)
        eye = np.eye(H.shape[0], dtype=bool)
        for start in range(0, len(state), 2048):
            part = slice(start, start + 2048)
            mask = free[part, :, None] & free[part, None, :]
            M = np.where(mask, H, 0.0) + (eye & ~free[part, :, None])
            out[part] = np.linalg.solve(M, rhs[part, :, None])[..., 0]
        return out
    out = rhs.copy()
    order = np.split(np.argsort(inverse.reshape(-1), kind="stable"), np.cumsum(counts)[:-1])
    for pattern, members in zip(patterns, order, strict=True):
        f = pattern == _FREE
        if f.any():
            out[np.ix_(members, f)] = np.linalg.solve(H[np.ix_(f, f)], rhs[np.ix_(members, f)].T).T
    return out


def _projected_gradient(
    H: np.ndarray, C: np.ndarray, X: np.ndarray, lo: np.ndarray, hi: np.ndarray, *, steps: int = 2000
) -> np.ndarray:
    """FISTA with adaptive restart; slow but sure, used only for the few frames that need it."""
    step = 1.0 / float(np.linalg.eigvalsh(H)[-1])
    X = np.clip(X, lo, hi)
    Y, t = X.copy(), 1.0
    for _ in range(steps):
        X_next = np.clip(Y - step * (Y @ H - C), lo, hi)
        if np.max(np.abs(X_next - X), initial=0.0) < 1e-12:
            return np.asarray(X_next)
        t_next = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
        restart = np.sum((Y - X_next) * (X_next - X), axis=1) > 0
        Y = X_next + ((t - 1.0) / t_next) * (X_next - X)
        Y[restart] = X_next[restart]
        X, t = X_next, t_next
    return X


def determined(W: np.ndarray, tol: float = 1e-8) -> np.ndarray:
    """Which variables ``W`` pins down: True where no change of the others can imitate this one.

    A variable is determined when it has no component in the null space of ``W``; the rest (two
    controls moving the same shape) are split by the ridge term, not by the data.
    """
    W = np.asarray(W, dtype=float)
    n_vars = W.shape[1]
    if not W.size:
        return np.zeros(n_vars, dtype=bool)
    _, s, vt = np.linalg.svd(W, full_matrices=True)
    rank = int(np.sum(s > tol * s[0])) if s.size and s[0] > 0 else 0
    null = vt[rank:]
    return np.linalg.norm(null, axis=0) < 1e-6 if null.size else np.ones(n_vars, dtype=bool)
