# SPDX-License-Identifier: GPL-3.0-or-later
"""iFacialMocap (iPhone) streaming its UDP text (default port 49983).

One datagram is one frame: items separated by ``|``; a blendshape item is its ARKit name with
``_L``/``_R`` sides and an integer percentage, joined by ``-`` (``mouthSmile_L-35``; newer versions
may join with ``&``); ``head#`` carries six numbers (rotation x, y, z in degrees, then position),
``rightEye#`` and ``leftEye#`` three (rotation x, y, z in degrees). The app starts sending once a
receiver asked it to, or to the address typed into it; facs_rig only listens. Assumed, as no phone
was at hand: x is pitch and y yaw, with Live Link Face's signs (+yaw to the subject's right, +pitch
down, +roll to the right).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..core.mapping.matching import name_key
from ..core.mapping.presets import arkit_names
from .frame import LiveFrame, MalformedPacket, euler_values, number

PORT = 49983
SHAPES: tuple[str, ...] = arkit_names()
_INDEX = {name_key(n): i for i, n in enumerate(SHAPES)}


def encode(weights: Mapping[str, float], *, head: tuple[float, ...] = (0.0,) * 6,
           eyes: tuple[tuple[float, float, float], tuple[float, float, float]] = ((0.0,) * 3,) * 2) -> bytes:
    """One datagram as the app sends it: ``weights`` by ARKit name (0..1), angles in degrees."""
    items = [f"{n.replace('Left', '_L').replace('Right', '_R')}-{round(v * 100)}" for n, v in weights.items()]
    for key, angles in (("head", head), ("rightEye", eyes[1]), ("leftEye", eyes[0])):
        items.append(f"{key}#" + ",".join(f"{a:g}" for a in angles))
    return ("|".join(items) + "|").encode("utf-8")


class Decoder:
    shape_names: tuple[str, ...] | None = SHAPES
    protocol = "iFacialMocap"

    def __init__(self) -> None:
        self._names: dict[str, int | None] = {}

    def _index(self, name: str) -> int | None:
        """The ARKit column of an item's name, remembered: name matching is the slow part of a
        frame (a bounded memory, so a stream of garbage names cannot grow it)."""
        if name in self._names:
            return self._names[name]
        index = _INDEX.get(name_key(name)) if name else None
        if len(self._names) < 4 * len(SHAPES):
            self._names[name] = index
        return index

    def decode(self, data: bytes, received: float) -> LiveFrame | None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedPacket("not iFacialMocap text (not UTF-8)") from None
        shapes = np.full(len(SHAPES), np.nan)
        rotations: dict[str, list[float]] = {}
        for item in filter(None, text.strip().split("|")):
            if "#" in item:
                key, _, values = item.partition("#")
                rotations[key.strip("=")] = [number(v, key) for v in values.split(",")]
                continue
            sep = "&" if "&" in item else "-"
            name, _, value = item.rpartition(sep)
            index = self._index(name)
            if index is None:
                raise MalformedPacket(f"{item[:40]!r} is not an iFacialMocap blendshape item")
            shapes[index] = min(1.0, max(0.0, number(value, name) / 100.0))
        if np.isnan(shapes).all():
            raise MalformedPacket("no blendshape in the datagram")
        head = rotations.get("head", [])
        eyes = [(r[0], r[1]) for k in ("leftEye", "rightEye") if len(r := rotations.get(k, [])) >= 2]
        return LiveFrame(received, None, shapes, euler_values((head[0], head[1], head[2]) if len(head) >= 3
                                                              else None, eyes))
