# SPDX-License-Identifier: GPL-3.0-or-later
"""MediaPipe Face Landmarker on RGB arrays: one :class:`FaceReading` per face found.

``mediapipe`` is imported when a :class:`Landmarker` is made, not with this module, so facs_rig
and the add-on load where it is missing; :class:`ReaderUnavailable` then says what to install.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import numpy as np

from ..core.errors import FacsError
from ..core.mapping.presets import arkit_names
from ..paths import ASSETS

MODEL = ASSETS / "face_landmarker.task"
"""Built by ``make assets`` (tools/build_reader_model.py); never downloaded at run time."""

BLENDSHAPE_NAMES: tuple[str, ...] = tuple(name for name in arkit_names() if name != "tongueOut")
"""The model's scores in its own order, which is ARKit's alphabetical one (the ``arkit52`` preset's
list). It gives 52 categories: ``_neutral`` (dropped: no face moves by it) and 51 of ARKit's 52
shapes, all but ``tongueOut``. Left and Right are the subject's
own sides (a one-sided R12 render reads ``mouthSmileRight``)."""


class ReaderUnavailable(FacsError):
    """The reader's runtime (mediapipe, PyAV) or its model is not installed."""


RUNTIME = {"mediapipe": "face reading", "av": "decoding video"}
"""The reader's packages and what each is for (their own imports, OpenCV and matplotlib, come with
them: pip installs them, and the extension zips bundle them as wheels)."""


def _missing(module: str, purpose: str, detail: str) -> ReaderUnavailable:
    return ReaderUnavailable(
        f"the face reader needs the Python package {module.partition('.')[0]!r} for {purpose} "
        f"({detail}); install it from requirements/dev.txt, or install the extension zip made "
        "for your platform, which bundles it")


def _missing_model(model: Path) -> ReaderUnavailable:
    return ReaderUnavailable(f"{model}: the face reader's model is missing; build it with "
                             "`make assets` (tools/build_reader_model.py)")


def require(module: str, purpose: str) -> ModuleType:
    """Import one of the reader's optional dependencies, or say which package is missing."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise _missing(module, purpose, str(exc)) from None


def check_available(model: Path = MODEL) -> None:
    """Raise :class:`ReaderUnavailable` when the model or a package of :data:`RUNTIME` is missing,
    before any work starts. Looks the packages up without importing them (importing mediapipe takes
    about a second), so a panel can ask on every redraw."""
    if not model.is_file():
        raise _missing_model(model)
    for module, purpose in RUNTIME.items():
        if importlib.util.find_spec(module) is None:
            raise _missing(module, purpose, f"No module named {module!r}")


@dataclass(frozen=True)
class FaceReading:
    """One face in one image, as the model reports it."""

    blendshapes: np.ndarray
    """(51,) scores 0..1 in :data:`BLENDSHAPE_NAMES` order."""
    landmarks: np.ndarray
    """(478, 3): x and y as fractions of the image's width and height, z at the scale of x."""
    matrix: np.ndarray
    """(4, 4) facial transformation: canonical face model (cm) to camera space (x right, y up,
    z towards the viewer)."""
    width: int
    height: int

    @property
    def centre(self) -> np.ndarray:
        """Centre of the landmarks' bounding box in pixels: what tracking follows."""
        xy = self.landmarks[:, :2] * (self.width, self.height)
        return np.asarray((xy.min(0) + xy.max(0)) / 2)

    @property
    def size(self) -> float:
        """Diagonal of the landmarks' bounding box in pixels."""
        xy = self.landmarks[:, :2] * (self.width, self.height)
        return float(np.hypot(*(xy.max(0) - xy.min(0))))


def as_rgb(image: np.ndarray) -> np.ndarray:
    """A contiguous (h, w, 3) uint8 array: grey is repeated into three channels (a 1-channel
    ``mp.Image`` fails inside MediaPipe with a RET_CHECK) and alpha is dropped."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise FacsError(f"images must be 8-bit (uint8), got {image.dtype}")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise FacsError(f"expected an (h, w), (h, w, 1), (h, w, 3) or (h, w, 4) image, got {image.shape}")
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3])


class Landmarker:
    """A Face Landmarker session; close it (or use ``with``) to free the native graph.

    ``video=True`` uses MediaPipe's VIDEO mode: frames must come in order with increasing
    timestamps, and tracking between frames skips most face detection, which is what makes it
    fast. ``faces`` is how many faces the model looks for per image.
    """

    def __init__(self, model: Path = MODEL, *, video: bool = False, faces: int = 1) -> None:
        if not model.is_file():
            raise _missing_model(model)
        self._mp = require("mediapipe", "face reading")
        vision = self._mp.tasks.vision
        options = vision.FaceLandmarkerOptions(
            base_options=self._mp.tasks.BaseOptions(model_asset_path=str(model)),
            running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
            num_faces=faces,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        self._task: Any = vision.FaceLandmarker.create_from_options(options)
        self.video = video
        self._last_ms = -1

    def read(self, image: np.ndarray, time_ms: int | None = None) -> list[FaceReading]:
        """Every face in ``image``; in video mode ``time_ms`` must increase from call to call
        (equal or earlier times are moved 1 ms after the previous one, as MediaPipe requires)."""
        rgb = as_rgb(image)
        frame = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        if self.video:
            stamp = max(int(time_ms or 0), self._last_ms + 1)
            self._last_ms = stamp
            result = self._task.detect_for_video(frame, stamp)
        else:
            result = self._task.detect(frame)
        height, width = rgb.shape[:2]
        readings = []
        for shapes, points, matrix in zip(result.face_blendshapes, result.face_landmarks,
                                          result.facial_transformation_matrixes, strict=True):
            scores = {c.category_name: c.score for c in shapes}
            readings.append(FaceReading(
                blendshapes=np.array([scores[n] for n in BLENDSHAPE_NAMES], dtype=np.float64),
                landmarks=np.array([(p.x, p.y, p.z) for p in points], dtype=np.float64),
                matrix=np.asarray(matrix, dtype=np.float64).reshape(4, 4),
                width=width,
                height=height,
            ))
        return readings

    def close(self) -> None:
        self._task.close()

    def __enter__(self) -> Landmarker:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def read_image(image: np.ndarray, *, model: Path = MODEL) -> FaceReading | None:
    """The largest face in one RGB (or grey) image, or None: for one-off reads such as ``verify``.
    Each call builds and closes a landmarker (0.1–0.2 s); keep a :class:`Landmarker` for many."""
    with Landmarker(model, faces=4) as landmarker:
        faces = landmarker.read(image)
    return max(faces, key=lambda f: f.size, default=None)
