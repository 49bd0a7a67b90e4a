# SPDX-License-Identifier: GPL-3.0-or-later
"""Epic's Live Link Face app streaming over UDP (default port 11111): the binary Live Link packet.

Written from the protocol as Unreal's Apple ARKit face-support plugin reads it, network byte order
(big-endian) throughout:

=============  =====================================================================
uint8          packet version (6)
int32 + bytes  device id: length, then that many UTF-8 bytes (the app sends a 36-character UUID)
int32 + bytes  subject name, the same way
int32          frame number of the frame time (timecode frames since midnight)
float32        sub-frame (0 <= s < 1)
int32, int32   frame rate numerator and denominator (60/1, 30/1, 30000/1001 ...)
uint8          number of float channels that follow: 61
61 × float32   the 52 ARKit weights in the app's order, then head yaw, pitch, roll and left and
               right eye yaw, pitch, roll in radians (the order of the app's CSV export)
=============  =====================================================================

The app sends the header alone (version, ids) when it has no face: that is "no data", not damage.
Assumed, as no phone was at hand: strings carry no terminating NUL (one is tolerated), and the
rotation signs are those measured on the app's CSV export (:mod:`..io.livelinkface`).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np

from ..io.angles import EYE_AXES
from ..io.livelinkface import EYE_COLUMNS, HEAD_COLUMNS
from .frame import LiveFrame, MalformedPacket, angle_values

PORT = 11111
VERSION = 6
SHAPES: tuple[str, ...] = (
    "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft",
    "EyeSquintLeft", "EyeWideLeft", "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight",
    "EyeLookOutRight", "EyeLookUpRight", "EyeSquintRight", "EyeWideRight", "JawForward", "JawRight",
    "JawLeft", "JawOpen", "MouthClose", "MouthFunnel", "MouthPucker", "MouthRight", "MouthLeft",
    "MouthSmileLeft", "MouthSmileRight", "MouthFrownLeft", "MouthFrownRight", "MouthDimpleLeft",
    "MouthDimpleRight", "MouthStretchLeft", "MouthStretchRight", "MouthRollLower", "MouthRollUpper",
    "MouthShrugLower", "MouthShrugUpper", "MouthPressLeft", "MouthPressRight", "MouthLowerDownLeft",
    "MouthLowerDownRight", "MouthUpperUpLeft", "MouthUpperUpRight", "BrowDownLeft", "BrowDownRight",
    "BrowInnerUp", "BrowOuterUpLeft", "BrowOuterUpRight", "CheekPuff", "CheekSquintLeft",
    "CheekSquintRight", "NoseSneerLeft", "NoseSneerRight", "TongueOut",
)
ROTATIONS = ("HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
             "RightEyeYaw", "RightEyePitch", "RightEyeRoll")
CHANNELS = len(SHAPES) + len(ROTATIONS)
_TIME = struct.Struct(">ifii")
_CHANNELS = struct.Struct(f">{CHANNELS}f")
_ROTATION = {name: len(SHAPES) + i for i, name in enumerate(ROTATIONS)}


def encode(values: Sequence[float], *, frame: int, subframe: float = 0.0, rate: tuple[int, int] = (60, 1),
           device: str = "8C1F5E0A-0000-4000-8000-00000000F00D", subject: str = "iPhone") -> bytes:
    """One packet as the app sends it: ``values`` are the 61 channels (:data:`SHAPES`, then
    :data:`ROTATIONS`)."""
    if len(values) != CHANNELS:
        raise ValueError(f"a Live Link Face packet carries {CHANNELS} channels, got {len(values)}")
    ids = b"".join(struct.pack(">i", len(s.encode())) + s.encode() for s in (device, subject))
    return (bytes([VERSION]) + ids + _TIME.pack(frame, subframe, *rate) + bytes([CHANNELS])
            + _CHANNELS.pack(*values))


def _string(data: bytes, at: int, what: str) -> tuple[str, int]:
    if len(data) < at + 4:
        raise MalformedPacket(f"truncated before the {what}'s length")
    (size,) = struct.unpack_from(">i", data, at)
    if not 0 <= size <= 1024 or len(data) < at + 4 + size:
        raise MalformedPacket(f"the {what} claims {size} bytes, the packet holds {len(data) - at - 4}")
    try:
        return data[at + 4: at + 4 + size].rstrip(b"\0").decode("utf-8"), at + 4 + size
    except UnicodeDecodeError:
        raise MalformedPacket(f"the {what} is not UTF-8 text") from None


class Decoder:
    """Live Link Face packets to frames; timed by the packet's frame time."""

    shape_names: tuple[str, ...] | None = SHAPES
    protocol = "Live Link Face"

    def decode(self, data: bytes, received: float) -> LiveFrame | None:
        if not data or data[0] != VERSION:
            raise MalformedPacket(f"not a Live Link Face packet (version byte {data[:1].hex() or 'missing'}, "
                                  f"expected {VERSION:02x})")
        at = 1
        for what in ("device id", "subject name"):
            _, at = _string(data, at, what)
        if at == len(data):
            return None  # the app's "no face" packet
        if len(data) != at + _TIME.size + 1 + _CHANNELS.size:
            raise MalformedPacket(f"{len(data)} bytes: a packet with {CHANNELS} channels has "
                                  f"{at + _TIME.size + 1 + _CHANNELS.size}")
        frame, subframe, numerator, denominator = _TIME.unpack_from(data, at)
        if data[at + _TIME.size] != CHANNELS:
            raise MalformedPacket(f"{data[at + _TIME.size]} channels, expected {CHANNELS}")
        if numerator <= 0 or denominator <= 0:
            raise MalformedPacket(f"frame rate {numerator}/{denominator} is not a rate")
        values = np.array(_CHANNELS.unpack_from(data, at + _TIME.size + 1))
        if not np.all(np.isfinite(values)):
            raise MalformedPacket("channels that are not finite numbers")
        channels = values.tolist()
        eyes = [(sum(channels[_ROTATION[n]] for n in pair) / len(pair), axis)
                for pair, axis in zip(EYE_COLUMNS, EYE_AXES, strict=True)]
        direct = angle_values([(channels[_ROTATION[name]], axis) for name, axis in HEAD_COLUMNS] + eyes)
        return LiveFrame(received, (frame + subframe) * denominator / numerator,
                         np.clip(values[: len(SHAPES)], 0.0, 1.0), direct, sequence=frame)
