# SPDX-License-Identifier: GPL-3.0-or-later
"""FACSvatar's ZeroMQ publish/subscribe messages; pyzmq speaks the wire.

A message has three frames: topic, timestamp, JSON. The JSON carries ``au_r`` (``{"AU01": 0.4,
...}``, OpenFace's AUs already scaled to 0..1 by FACSvatar's bridge; values above 1 are taken as
OpenFace's 0..5 and divided by 5), ``pose`` (``pose_Rx``, ``pose_Ry``, ``pose_Rz`` radians) and
``gaze`` (``gaze_angle_x``, ``gaze_angle_y`` radians), with OpenFace's signs
(:mod:`..io.openface`), and a ``frame`` number. The timestamp frame is seconds as text (FACSvatar
sends ``time.time()``); a JSON ``timestamp`` is used when it is not.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..io.angles import Axis
from ..io.capture import AUKey
from ..io.openface import ANGLE_COLUMNS, OPENFACE_MAX
from .frame import LiveFrame, MalformedPacket, angle_values, number

PORT = 5571
"""FACSvatar's broker publishes on 5571 (its publishers connect to 5570)."""
_AU = re.compile(r"AU(\d{1,2})(?:_r)?")
_ANGLES: dict[str, Axis] = dict(ANGLE_COLUMNS)
MAX_BYTES = 1 << 20
"""A FACSvatar message is well under a kilobyte; anything above this is not one."""


def encode(topic: str, timestamp: float, au_r: dict[str, float], *, frame: int = 0,
           pose: dict[str, float] | None = None, gaze: dict[str, float] | None = None) -> list[bytes]:
    """One message as FACSvatar's bridges publish it."""
    body: dict[str, Any] = {"frame": frame, "timestamp": timestamp, "au_r": au_r,
                            "pose": pose or {}, "gaze": gaze or {}}
    return [topic.encode(), repr(timestamp).encode(), json.dumps(body).encode()]


class Decoder:
    shape_names: tuple[str, ...] | None = None
    protocol = "FACSvatar (ZeroMQ)"

    def decode_parts(self, parts: list[bytes], received: float) -> LiveFrame:
        if len(parts) != 3:
            raise MalformedPacket(f"{len(parts)} message frames, FACSvatar sends 3 (topic, timestamp, JSON)")
        if len(parts[2]) > MAX_BYTES:
            raise MalformedPacket(f"a {len(parts[2])}-byte JSON frame")
        try:
            body = json.loads(parts[2])
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedPacket(f"the third frame is not JSON ({exc})") from None
        if not isinstance(body, dict) or not isinstance(body.get("au_r", {}), dict):
            raise MalformedPacket("the JSON holds no au_r object")
        direct: dict[AUKey, float] = {}
        for name, value in body.get("au_r", {}).items():
            match = _AU.fullmatch(str(name))
            if match:
                v = number(value, name)
                direct[(int(match[1]), "both")] = min(1.0, max(0.0, v / OPENFACE_MAX if v > 1.0 else v))
        parts_of = [body[part] for part in ("pose", "gaze") if isinstance(body.get(part), dict)]
        angles = [(number(value, name), _ANGLES[name])
                  for values in parts_of for name, value in values.items()
                  if name in _ANGLES]
        direct |= angle_values(angles)
        if not direct:
            raise MalformedPacket("the JSON holds no AU, pose or gaze value")
        try:
            stamp: float | None = number(parts[1].decode("ascii"), "timestamp")
        except (MalformedPacket, UnicodeDecodeError):
            stamp = number(body["timestamp"], "timestamp") if "timestamp" in body else None
        frame = body.get("frame")
        return LiveFrame(received, stamp, None, direct, sequence=frame if isinstance(frame, int) else None)
