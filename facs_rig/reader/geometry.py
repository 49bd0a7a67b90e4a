# SPDX-License-Identifier: GPL-3.0-or-later
"""AUs measured on the face's shape, where the reader's blendshape model is blind.

MediaPipe's blendshape model scores ``cheekSquint`` and ``noseSneer`` at about 1e-6 on every face
and ``mouthRoll`` at 0.03 at most, so AU 6, 9 and 28 cannot be solved from its scores; its
``eyeSquint`` (AU7) fires on any raised lower lid, the cheek's push in a smile (6) included. A FACS
coder scores these from what moved against the same person's neutral face (for 6 against 7: did
the cheek below the lid rise with it?); this module does the same with the 478 landmarks:

- the landmarks are turned into the head's own frame (the facial transformation matrix's
  rotation undone) and measured in inter-ocular distances (IOD, between the centres of the eyes'
  corners), so head turns and face size drop out;
- each measure is compared with the face at rest: a neutral reading when there is one (``verify``
  renders one per view), else the measure's median over the take (``convert``);
- the change becomes an AU intensity on a stated full-intensity scale, and that value **replaces**
  the solved one for the AUs of :data:`MEASURED_AUS` (the rule, the scales and the limits are in
  docs/reader.md).

Pure numpy, no per-point loops: every measure is computed for all frames at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..io.capture import AUKey
from .landmarker import FaceReading

LANDMARKS = 478
MEASURED_AUS = (6, 7, 9, 28)
"""AUs whose value comes from :func:`geometric_aus` instead of the blendshape solve."""
MEASURED_TEXT = ", ".join(map(str, MEASURED_AUS[:-1])) + f" and {MEASURED_AUS[-1]}"
"""The measured AUs as a message names them: ``6, 7, 9 and 28``."""
SOURCE = "landmark geometry (face reader)"

# MediaPipe face-mesh indices; L and R are the subject's own sides (263 is the outer corner of the
# subject's left eye, on the image's right in a frontal photo).
EYE_CORNERS = {"L": (362, 263), "R": (33, 133)}
UPPER_LID = {"L": (386, 385, 387), "R": (159, 158, 160)}
LOWER_LID = {"L": (374, 380, 373), "R": (145, 153, 144)}
CHEEK = {"L": (346, 347, 348, 349), "R": (117, 118, 119, 120)}
"""The infraorbital skin, about 0.25 IOD below the lower lid: the cheek that AU6 raises and AU7 leaves."""
NOSE_WING = {"L": (358, 327, 294), "R": (129, 98, 64)}
INNER_BROW = {"L": (285, 336), "R": (55, 107)}
UPPER_RED = ((0, 13), (37, 82), (267, 312))
"""(outer, inner) lip-contour pairs across the upper lip's red, at the middle and either side."""
LOWER_RED = ((17, 14), (84, 87), (314, 317))
LIP_GAP = ((13, 14), (82, 87), (312, 317))
"""Inner-contour pairs, upper against lower: how far the lips are apart."""
MOUTH_CORNERS = ((61, 291),)

FULL_MOVE = 0.1
"""A landmark movement of this many IODs (about 6 mm on an adult's 63 mm) is full intensity (E)
for the movement measures (AU6, AU7, AU9). An engineering default, not a FACS number: no real face
with a known neutral and a known AU6 or AU9 was available to calibrate on (docs/reader.md)."""
OPEN_MOUTH = 0.15
"""Lips this many IODs further apart than at rest (about 1 cm) stretch the red thin: the red-height
measure of AU28 fades out linearly up to this opening, since parted lips are not sucked in."""
CLOSED_EYE = 0.5
"""Once the upper lid has come down this share of the eye's resting opening, the lower-lid landmarks
follow it (43, 45), so AU6 and AU7 are gone by then, fading linearly from :data:`LID_SLACK`."""
LID_SLACK = 0.25
"""How far (a share of the resting opening) the upper lid may come down before AU6 and AU7 start
fading: FACS's 7 narrows the eye from above too, a little (8–11 % on the default head at E), and a
gate from the lid at rest took that for the start of a 43 (7 alone read 0.14 instead of 0.16)."""
CHUNK = 1024
"""Readings turned into head-frame points at a time (about 12 MB of points)."""
MIN_BASELINE_FRAMES = 30
"""Fewer frames with a face than this (a photo, a one-second clip) give no resting face to measure
from, so no AU is measured then and the solved values stay."""


def head_frame(landmarks: np.ndarray, matrices: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """(n, 478, 3) landmarks in the head's frame (x to the subject's left, y up, z forward), with
    the origin between the eyes and the inter-ocular distance as unit.

    ``landmarks`` are the reader's (x, y fractions of the image, z at x's scale), ``matrices`` the
    facial transformation matrices and ``sizes`` (n, 2) the images' widths and heights; NaN rows
    (gaps) stay NaN."""
    width, height = sizes[:, 0, None], sizes[:, 1, None]
    camera = np.stack([landmarks[..., 0] * width, -landmarks[..., 1] * height, -landmarks[..., 2] * width],
                      axis=-1)
    rotation = matrices[:, :3, :3] / np.linalg.norm(matrices[:, :3, :3], axis=1, keepdims=True)
    points = camera @ rotation  # each row p becomes Rᵀp: the matrix maps the face model to the camera
    left, right = (points[:, list(EYE_CORNERS[s])].mean(axis=1) for s in ("L", "R"))
    iod = np.linalg.norm(left - right, axis=-1)
    return np.asarray((points - ((left + right) / 2)[:, None]) / iod[:, None, None])


def _height(points: np.ndarray, ids: tuple[int, ...]) -> np.ndarray:
    return np.asarray(points[:, list(ids), 1].mean(axis=1))


def _distance(points: np.ndarray, pairs: tuple[tuple[int, int], ...]) -> np.ndarray:
    a, b = np.array(pairs).T
    return np.asarray(np.linalg.norm(points[:, a] - points[:, b], axis=-1).mean(axis=1))


def measures(points: np.ndarray) -> dict[str, np.ndarray]:
    """The raw measures of (n, 478, 3) head-frame points, each (n,), in IODs:

    - ``red_T``, ``red_B``: the visible red of each lip, outer against inner lip contour;
    - ``width``: the mouth's width, corner to corner;
    - ``gap``: how far the lips are apart (inner contours);
    - ``lid_L``, ``lid_R``, ``upper_L``, ``upper_R``: the lower and upper lid's height above the
      eye's corners; ``cheek_L``, ``cheek_R``: the infraorbital skin's height above them;
    - ``wing_L``, ``wing_R``: the nasal wing's height; ``brow_L``, ``brow_R``: the inner brow's
      height (both against the eyes' corners, which neither AU moves)."""
    out = {"red_T": _distance(points, UPPER_RED), "red_B": _distance(points, LOWER_RED),
           "gap": _distance(points, LIP_GAP), "width": _distance(points, MOUTH_CORNERS)}
    for side in ("L", "R"):
        corners = _height(points, EYE_CORNERS[side])
        out[f"lid_{side}"] = _height(points, LOWER_LID[side]) - corners
        out[f"upper_{side}"] = _height(points, UPPER_LID[side]) - corners
        out[f"cheek_{side}"] = _height(points, CHEEK[side]) - corners
        out[f"wing_{side}"] = _height(points, NOSE_WING[side])
        out[f"brow_{side}"] = _height(points, INNER_BROW[side])
    return out


def _evidence(m: dict[str, np.ndarray], rest: dict[str, np.ndarray]) -> dict[AUKey, np.ndarray]:
    """Each measured AU's evidence (≥ 0 means the AU moved the face that way), before clipping."""
    opened = np.clip(1.0 - (m["gap"] - rest["gap"]) / OPEN_MOUTH, 0.0, 1.0)
    # lips stretched sideways (12, 20) thin in proportion, keeping their area; narrowed (18, 22, 23)
    # they push forward rather than growing taller, so only a widening is made up for
    stretch = np.maximum(m["width"] / rest["width"], 1.0)
    out: dict[AUKey, np.ndarray] = {}
    for lip in ("T", "B"):
        # AU28: the share of the lip's red that is gone (full when all of it is hidden)
        out[(28, lip)] = (1.0 - m[f"red_{lip}"] * stretch / rest[f"red_{lip}"]) * opened
    for side in ("L", "R"):
        closing = (rest[f"upper_{side}"] - m[f"upper_{side}"]) / (rest[f"upper_{side}"] - rest[f"lid_{side}"])
        eye = np.clip((CLOSED_EYE - closing) / (CLOSED_EYE - LID_SLACK), 0.0, 1.0)
        # the lower lid's rise (seen while the eye is open enough): as far as the cheek below it
        # rose too, the cheek pushed it (AU6); the rest the lid did on its own (AU7)
        lid = m[f"lid_{side}"] - rest[f"lid_{side}"]
        pushed = np.minimum(lid, np.maximum(m[f"cheek_{side}"] - rest[f"cheek_{side}"], 0.0))
        out[(6, side)] = pushed / FULL_MOVE * eye
        out[(7, side)] = (lid - pushed) / FULL_MOVE * eye
        # AU9: the nasal wing rises *and* the inner brow comes down; either alone is 10, 12 or 4
        rise = m[f"wing_{side}"] - rest[f"wing_{side}"]
        lower = rest[f"brow_{side}"] - m[f"brow_{side}"]
        out[(9, side)] = np.minimum(rise, lower) / FULL_MOVE
    return out


def aus_from_measures(m: dict[str, np.ndarray], *,
                      neutral: int | None = None) -> dict[AUKey, np.ndarray] | None:
    """AU 6, 7, 9 and 28 intensities (0..1, per side or lip; NaN on gaps) from the :func:`measures` of
    n readings of one face.

    ``neutral`` is the index of the reading of the face at rest (``verify``'s neutral render).
    Without one, each measure rests at its median over the readings: most measures also move the
    other way under other AUs (1+2 raises the inner brows that 9 lowers, 18 thickens the red that 28
    hides), so a low or high percentile would take another AU's movement for the rest. None is
    returned when fewer than :data:`MIN_BASELINE_FRAMES` readings have a face."""
    found = np.isfinite(m["gap"])
    if neutral is not None:
        evidence = _evidence(m, {k: v[neutral] for k, v in m.items()})
    elif found.sum() < MIN_BASELINE_FRAMES:
        return None
    else:
        evidence = _evidence(m, {k: np.nanmedian(v) for k, v in m.items()})
    return {key: np.where(found, np.clip(value, 0.0, 1.0), np.nan) for key, value in evidence.items()}


def geometric_aus(landmarks: np.ndarray, matrices: np.ndarray, sizes: np.ndarray, *,
                  neutral: int | None = None) -> dict[AUKey, np.ndarray] | None:
    """:func:`aus_from_measures` of (n, 478, 3) landmarks, (n, 4, 4) matrices and (n, 2) image sizes."""
    return aus_from_measures(measures(head_frame(landmarks, matrices, sizes)), neutral=neutral)


def measured_aus(readings: Sequence[FaceReading | None], *,
                 neutral: int | None = None) -> dict[AUKey, np.ndarray] | None:
    """:func:`aus_from_measures` of the reader's readings of one face (None: no face, a gap); None
    when the neutral reading has no face or, without one, too few readings have. Measured
    :data:`CHUNK` readings at a time, so an hour of video needs a few MB, not gigabytes of points."""
    if neutral is not None and readings[neutral] is None:
        return None
    parts: list[dict[str, np.ndarray]] = []
    for start in range(0, len(readings), CHUNK):
        chunk = readings[start:start + CHUNK]
        landmarks = np.full((len(chunk), LANDMARKS, 3), np.nan)
        matrices = np.full((len(chunk), 4, 4), np.nan)
        sizes = np.ones((len(chunk), 2))
        for i, reading in enumerate(chunk):
            if reading is not None:
                landmarks[i], matrices[i] = reading.landmarks, reading.matrix
                sizes[i] = reading.width, reading.height
        parts.append(measures(head_frame(landmarks, matrices, sizes)))
    m = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]} if parts else {}
    return aus_from_measures(m, neutral=neutral) if m else None
