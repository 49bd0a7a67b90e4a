# SPDX-License-Identifier: GPL-3.0-or-later
"""Bannaflak's Face Cap streaming OSC over UDP; python-osc reads the wire format.

Face Cap sends, per tracked frame, ``/W i v`` for each blendshape (``i`` its index in Face Cap's
list, :data:`SHAPES`; ``v`` 0..1), ``/HR x y z`` head rotation and ``/HRQ x y z w`` the same as a
quaternion, ``/ELR x y`` and ``/ERR x y`` the left and right eye rotations (Euler angles in
degrees; ``x`` pitch, ``y`` yaw, ``z`` roll) and ``/HT x y z`` head position (not used). A bundle
is one frame; a sender that sends loose messages completes a frame with the last index
(``/W 51``). Assumed, as no phone was at hand: the index order below (Face Cap's documented list),
and angle signs as Live Link Face's (+yaw to the subject's right, +pitch down, +roll to the right).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .frame import LiveFrame, MalformedPacket, euler_values, number, require

if TYPE_CHECKING:
    from pythonosc.osc_message import OscMessage

PORT = 9000
SHAPES: tuple[str, ...] = (
    "browInnerUp", "browDown_L", "browDown_R", "browOuterUp_L", "browOuterUp_R", "eyeLookUp_L",
    "eyeLookUp_R", "eyeLookDown_L", "eyeLookDown_R", "eyeLookIn_L", "eyeLookIn_R", "eyeLookOut_L",
    "eyeLookOut_R", "eyeBlink_L", "eyeBlink_R", "eyeSquint_L", "eyeSquint_R", "eyeWide_L", "eyeWide_R",
    "cheekPuff", "cheekSquint_L", "cheekSquint_R", "noseSneer_L", "noseSneer_R", "jawOpen", "jawForward",
    "jawLeft", "jawRight", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight", "mouthRollUpper",
    "mouthRollLower", "mouthShrugUpper", "mouthShrugLower", "mouthClose", "mouthSmile_L", "mouthSmile_R",
    "mouthFrown_L", "mouthFrown_R", "mouthDimple_L", "mouthDimple_R", "mouthUpperUp_L", "mouthUpperUp_R",
    "mouthLowerDown_L", "mouthLowerDown_R", "mouthPress_L", "mouthPress_R", "mouthStretch_L",
    "mouthStretch_R", "tongueOut",
)
KNOWN = {"/W", "/HR", "/HRQ", "/ELR", "/ERR", "/HT"}


def quaternion_angles(x: float, y: float, z: float, w: float) -> tuple[float, float, float]:
    """(pitch, yaw, roll) in degrees of a rotation quaternion, X then Y then Z (Face Cap's /HR)."""
    pitch = math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    yaw = math.asin(max(-1.0, min(1.0, 2 * (w * y - z * x))))
    roll = math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return math.degrees(pitch), math.degrees(yaw), math.degrees(roll)


class Decoder:
    """OSC datagrams to frames. Face Cap's packets carry no timestamp (bundles say "now")."""

    shape_names: tuple[str, ...] | None = SHAPES
    protocol = "Face Cap (OSC)"

    def __init__(self) -> None:
        self._osc = require("pythonosc.osc_packet", "Face Cap")
        self._shapes = np.full(len(SHAPES), np.nan)
        self._head: tuple[float, float, float] | None = None
        self._eyes: dict[str, tuple[float, float]] = {}

    def decode(self, data: bytes, received: float) -> LiveFrame | None:
        try:
            packet = self._osc.OscPacket(data)
        except (self._osc.ParseError, ValueError, IndexError, OverflowError) as exc:  # python-osc's errors
            raise MalformedPacket(f"not an OSC packet ({exc})") from None
        messages = [timed.message for timed in packet.messages]
        if not any(m.address in KNOWN for m in messages):
            found = ", ".join(m.address for m in messages[:3])
            raise MalformedPacket(f"OSC without Face Cap addresses ({found})")
        complete = data.startswith(b"#bundle")
        for message in messages:
            complete |= self._apply(message)
        return self._frame(received) if complete else None

    def _apply(self, message: OscMessage) -> bool:
        """Take one message in; True when it completes a loose frame (the last blendshape)."""
        args = list(message.params)
        address = message.address
        if address == "/W":
            if len(args) != 2:
                raise MalformedPacket(f"/W takes an index and a value, got {len(args)} arguments")
            index = int(number(args[0], "/W index"))
            if not 0 <= index < len(SHAPES):
                raise MalformedPacket(f"/W index {index} is not one of Face Cap's {len(SHAPES)} shapes")
            self._shapes[index] = min(1.0, max(0.0, number(args[1], "/W value")))
            return index == len(SHAPES) - 1
        if address == "/HR" and len(args) >= 3:
            self._head = (number(args[0], "/HR"), number(args[1], "/HR"), number(args[2], "/HR"))
        elif address == "/HRQ" and len(args) == 4 and self._head is None:
            x, y, z, w = (number(a, "/HRQ") for a in args)
            self._head = quaternion_angles(x, y, z, w)
        elif address in ("/ELR", "/ERR") and len(args) >= 2:
            self._eyes[address] = (number(args[0], address), number(args[1], address))
        elif address in ("/HR", "/ELR", "/ERR"):
            raise MalformedPacket(f"{address} with {len(args)} arguments")
        return False

    def _frame(self, received: float) -> LiveFrame:
        direct = euler_values(self._head, list(self._eyes.values()))
        return LiveFrame(received, None, self._shapes.copy(), direct)
