# SPDX-License-Identifier: GPL-3.0-or-later
"""Landmark maths for rigging a head that has no shapes (``rig``): a thin-plate spline that warps
the template head onto another head by pairs of landmarks, the landmark file format (name → vertex
index or point), and the measures that compare a generated shape with a true one.

Pure numpy, no bpy: the geometry that needs a BVH or a modifier is in ``blender/rig_any*.py``; the
lids over a head's own eyeballs are in :mod:`.lids`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import FacsError
from .jsondoc import Checker, duplicate_keys, join, kind, number

LANDMARKS = 478
"""MediaPipe's face mesh: 468 face points and 10 iris points (468–477)."""
IRIS = range(468, 478)
NAMED = {
    "nose_tip": 1,
    "chin": 152,
    "forehead": 10,
    "eye_outer.L": 263,
    "eye_inner.L": 362,
    "eye_outer.R": 33,
    "eye_inner.R": 133,
    "upper_lid.L": 386,
    "lower_lid.L": 374,
    "upper_lid.R": 159,
    "lower_lid.R": 145,
    "mouth_corner.L": 291,
    "mouth_corner.R": 61,
    "upper_lip": 0,
    "lower_lip": 17,
    "brow_inner.L": 285,
    "brow_outer.L": 300,
    "brow_inner.R": 55,
    "brow_outer.R": 70,
    "cheek.L": 454,
    "cheek.R": 234,
}
"""Names a hand-placed landmark file may use instead of MediaPipe's numbers (``L`` is the subject's
left). Any number from 0 to 477 works too."""
MOUTH_LINE = (
    (191, 95),
    (80, 88),
    (81, 178),
    (82, 87),
    (13, 14),
    (312, 317),
    (311, 402),
    (310, 318),
    (415, 324),
)
"""MediaPipe's inner upper and inner lower lip points, in facing pairs: where a closed mouth's lips
meet, both contours lie on one line (on the default head the lower one is up to 1.2 mm above the
upper one). Fitted apart onto a head whose reading parts them (a sculpted mouth groove, a slightly
open mouth), points a millimetre apart, sometimes crossed, go several millimetres apart, and the
spline turns the mouth corners inside out; each pair is fitted as one point, its midpoint."""
CORRECTIVES = {"mouthClose": "jawOpen"}
"""Template shapes made to be used on top of another (ARKit's ``mouthClose`` brings the lips
together over an open jaw: alone it pushes the lower lip 2.7 cm up and 2.2 cm forward, through the
upper lip and out in front of the face): each is carried from its base shape's end. Carried from
rest, its end (out in front of the face) and the jaw's (down and back) warp differently, and the
two no longer cancel at the lips where they cancel on the template: on MediaPipe's canonical face
a jaw drop with the lips kept together (``jawOpen`` and ``mouthClose`` at 0.7) pushed the mouth
line 5 % of the face's width forward, a pout, and barely down."""
MIN_LANDMARKS = 8
"""Fewer pairs than this cannot place a face (the spline's affine part alone needs 4)."""


class LandmarkError(FacsError):
    """A landmark file or a landmark set that cannot place the template."""


@dataclass(frozen=True)
class ThinPlate:
    """A 3-D thin-plate spline (kernel ``-|r|``, the biharmonic one in 3-D) with an affine part:
    it maps the ``source`` points exactly onto the targets when ``smoothing`` is 0, and bends as
    little as it can in between, so a template face follows another face's proportions without
    folding."""

    source: np.ndarray  # (n, 3)
    weights: np.ndarray  # (n, 3)
    affine: np.ndarray  # (4, 3)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """The warped ``points`` ((m, 3) → (m, 3)), in chunks so a dense mesh stays in memory. The
        distances come from |a|² + |b|² - 2 a·b about the landmarks' centre (a matrix product, not an
        (m, n, 3) array of differences)."""
        points = np.asarray(points, dtype=np.float64)
        centre = self.source.mean(0)
        source = self.source - centre
        squared = (source**2).sum(1)
        out = np.empty_like(points)
        for start in range(0, len(points), 8192):
            chunk = points[start : start + 8192]
            local = chunk - centre
            distance2 = (local**2).sum(1)[:, None] + squared[None] - 2.0 * local @ source.T
            kernel = -np.sqrt(np.maximum(distance2, 0.0))
            out[start : start + 8192] = kernel @ self.weights + chunk @ self.affine[:3] + self.affine[3]
        return out

    def moves(
        self,
        points: np.ndarray,
        offsets: np.ndarray,
        bases: np.ndarray | None = None,
        warped: np.ndarray | None = None,
    ) -> np.ndarray:
        """Where the spline takes moves ``offsets`` ((k, m, 3): k shapes) of ``points`` ((m, 3)): the
        warped end minus the warped start, evaluated only where a shape moves a point. A template
        shape carried this way ends where its warped end is: a blink that closes the template's upper
        lid onto its lower lid closes the head's upper lid onto the head's lower lid, whatever the two
        eye openings' proportions (the spline's derivative at the start scales the whole travel by
        the stretch at the start only, and on a head with narrower eyes than the template's, such as
        MediaPipe's canonical face, it sent the upper lid twice the opening down).

        ``bases`` ((k, m, 3), zero for a shape that starts at rest) starts each move at the end of
        another: a corrective shape (see :data:`CORRECTIVES`) is carried from where its base shape
        ends, so the two together end at the warped end of their sum, as on the template.

        ``warped`` is ``self(points)`` where the caller has it already (the transfer warps the whole
        template for its surface): the starts are then read from it instead of evaluated again."""
        points = np.asarray(points, dtype=np.float64)
        offsets = np.asarray(offsets, dtype=np.float64)
        bases = np.zeros_like(offsets) if bases is None else np.asarray(bases, dtype=np.float64)
        out = np.zeros_like(offsets)
        shape, vertex = np.nonzero(np.abs(offsets).max(-1) > 0)
        based = np.abs(bases[shape, vertex]).max(-1) > 0
        if warped is None:
            used = np.unique(vertex[~based])
            warped = np.zeros_like(points)
            warped[used] = self(points[used])
        begin = np.asarray(warped, dtype=np.float64)[vertex]
        begin[based] = self(points[vertex[based]] + bases[shape[based], vertex[based]])
        end = points[vertex] + bases[shape, vertex] + offsets[shape, vertex]
        out[shape, vertex] = self(end) - begin
        return out


def thin_plate(source: np.ndarray, target: np.ndarray, smoothing: float = 0.0) -> ThinPlate:
    """The spline taking ``source`` points to ``target`` points (both (n, 3)). ``smoothing`` (in
    units of the mean squared kernel) lets noisy landmarks miss their targets a little rather than
    crease the surface between them. Raises :class:`LandmarkError` for too few or degenerate points."""
    source = np.asarray(source, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    n = len(source)
    if source.shape != target.shape or source.ndim != 2 or source.shape[1] != 3:
        raise LandmarkError(
            f"landmark pairs must be two (n, 3) arrays, got {source.shape} and {target.shape}"
        )
    if n < MIN_LANDMARKS:
        raise LandmarkError(f"{n} landmark pairs cannot place a face; at least {MIN_LANDMARKS} are needed")
    centred = source - source.mean(0)
    if np.linalg.matrix_rank(centred, tol=1e-9 * float(np.abs(centred).max() or 1.0)) < 3:
        raise LandmarkError("the landmarks lie on one plane or line; they cannot place a face")
    kernel = -np.linalg.norm(source[:, None, :] - source[None], axis=2)
    kernel += np.eye(n) * smoothing * float(np.abs(kernel).mean())
    homogeneous = np.hstack([source, np.ones((n, 1))])
    system = np.zeros((n + 4, n + 4))
    system[:n, :n] = kernel
    system[:n, n:] = homogeneous
    system[n:, :n] = homogeneous.T
    rhs = np.zeros((n + 4, 3))
    rhs[:n] = target
    solution = np.linalg.lstsq(system, rhs, rcond=None)[0]
    return ThinPlate(source=source, weights=solution[:n], affine=solution[n:])


def fit_landmarks(
    source: np.ndarray, target: np.ndarray, smoothing: float = 0.1, rounds: int = 3
) -> ThinPlate:
    """The spline from one head's (478, 3) landmarks to another's. Rows with NaN on either side
    (rays that missed) and the iris points (they sit on eyeballs, not skin) are left out, and so
    are pairs an affine map cannot bring within three median residuals, for ``rounds`` rounds: a
    landmark cast through the mouth opening onto the teeth would otherwise fold the face. Of the
    :data:`MOUTH_LINE` pairs left, each counts as its midpoint."""
    source = np.array(source, dtype=np.float64)
    target = np.array(target, dtype=np.float64)
    use = ~(np.isnan(source).any(1) | np.isnan(target).any(1))
    use[np.arange(len(use)) >= IRIS.start] = False
    rows = np.flatnonzero(use)
    for _ in range(rounds):
        if len(rows) < MIN_LANDMARKS:
            break
        homogeneous = np.hstack([source[rows], np.ones((len(rows), 1))])
        affine = np.linalg.lstsq(homogeneous, target[rows], rcond=None)[0]
        residual = np.linalg.norm(homogeneous @ affine - target[rows], axis=1)
        rows = rows[residual <= 3 * np.median(residual)]
    kept = np.zeros(len(source), bool)
    kept[rows] = True
    upper, lower = np.array(MOUTH_LINE).T
    both = kept[upper] & kept[lower]
    for points in (source, target):
        points[upper[both]] = (points[upper[both]] + points[lower[both]]) / 2
    kept[lower[both]] = False
    rows = np.flatnonzero(kept)
    return thin_plate(source[rows], target[rows], smoothing)


def landmark_index(name: str) -> int | None:
    """MediaPipe's number for a landmark name or number as text, or None."""
    if name in NAMED:
        return NAMED[name]
    if name.isdigit() and int(name) < LANDMARKS:
        return int(name)
    return None


@dataclass(frozen=True)
class HandLandmarks:
    """Landmarks placed by hand: ``indices`` (MediaPipe numbers) on the head, each given either as
    a vertex of the face mesh (``vertices[i] >= 0``) or as a point in the mesh's own coordinates
    (``points[i]``, where ``vertices[i]`` is -1)."""

    indices: np.ndarray  # (k,) int
    vertices: np.ndarray  # (k,) int, -1 where a point was given
    points: np.ndarray  # (k, 3) float, NaN where a vertex was given

    def positions(self, rest: np.ndarray, where: str = "the face mesh") -> np.ndarray:
        """The landmarks' positions on a mesh with vertex positions ``rest``; raises
        :class:`LandmarkError` naming a vertex index the mesh does not have."""
        given = self.vertices >= 0
        if given.any() and int(self.vertices.max()) >= len(rest):
            bad = int(self.vertices.max())
            raise LandmarkError(f"landmark vertex {bad} is not in {where} ({len(rest)} vertices)")
        out = self.points.copy()
        out[given] = rest[self.vertices[given]]
        return out


def _landmark_value(checker: Checker, path: str, value: Any) -> tuple[int, tuple[float, float, float]] | None:
    """One landmark's vertex index (point NaN) or point (index -1), or None after reporting why not."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            checker.error(path, "a vertex index cannot be negative")
            return None
        return value, (np.nan, np.nan, np.nan)
    if isinstance(value, list) and len(value) == 3:
        xyz = [checker.check(join(path, i), number, v) for i, v in enumerate(value)]
        if any(v is None for v in xyz):
            return None
        return -1, (float(xyz[0] or 0.0), float(xyz[1] or 0.0), float(xyz[2] or 0.0))
    checker.error(path, f"must be a vertex index or [x, y, z], got {kind(value)}")
    return None


def parse_landmarks(data: Any, source: str = "landmarks") -> HandLandmarks:
    """Read a landmark document: an object of name (see :data:`NAMED`, or 0–477) → vertex index or
    ``[x, y, z]``. Every problem is listed with its JSON path; raises :class:`LandmarkError`."""
    checker = Checker()
    indices: list[int] = []
    vertices: list[int] = []
    points: list[tuple[float, float, float]] = []
    if not isinstance(data, Mapping):
        raise LandmarkError(f"{source}: $: must be an object of landmark name -> vertex index or [x, y, z]")
    for name in duplicate_keys(data):
        checker.error(join("$", name), "key appears more than once")
    for name, value in data.items():
        path = join("$", name)
        index = landmark_index(str(name))
        if index is None:
            checker.error(
                path, f"unknown landmark (names: {', '.join(NAMED)}, or a number 0-{LANDMARKS - 1})"
            )
        elif index in indices:
            checker.error(path, f"landmark {index} is given twice")
        elif (given := _landmark_value(checker, path, value)) is not None:
            indices.append(index)
            vertices.append(given[0])
            points.append(given[1])
    if not checker.failed and len(indices) < MIN_LANDMARKS:
        checker.error("$", f"{len(indices)} landmarks cannot place a face; give at least {MIN_LANDMARKS}")
    if checker.failed:
        raise LandmarkError("\n".join(f"{source}: {p.path}: {p.message}" for p in checker.finish()))
    return HandLandmarks(
        np.array(indices, dtype=np.int64),
        np.array(vertices, dtype=np.int64),
        np.array(points, dtype=np.float64).reshape(-1, 3),
    )


def shape_agreement(made: np.ndarray, true: np.ndarray, size: float) -> tuple[float, float]:
    """How well a generated shape matches the true one on the same vertices: the correlation of the
    two displacement fields ((n, 3) each, flattened, about zero: a displacement's sign matters) and
    the largest vertex error as a fraction of the face's ``size``."""
    a, b = np.asarray(made, np.float64).ravel(), np.asarray(true, np.float64).ravel()
    denominator = float(np.sqrt((a @ a) * (b @ b)))
    correlation = float(a @ b) / denominator if denominator > 0 else 0.0
    error = float(np.linalg.norm(np.asarray(made) - np.asarray(true), axis=1).max()) / size
    return correlation, error
