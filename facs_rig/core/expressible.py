# SPDX-License-Identifier: GPL-3.0-or-later
"""What a rig's controls leave out: the catalogue AUs (and their sides) a face cannot express.

The panel's Avatar box and ``python -m facs_rig info`` both tell the user this; it is worked out
once, here, from control names alone.
"""

from __future__ import annotations

from collections.abc import Collection

from .catalogue import all_aus, controls

POSE_KINDS = ("action_unit", "action_descriptor", "head_position", "eye_position")
"""What a rig can hold as a pose; supplementary codes (speech, swallow, ...) are events of the
whole body and no rig has a control for them."""


def unexpressed(have: Collection[str]) -> dict[int, list[str]]:
    """Pose AU number → the controls (channels) of it that ``have`` lacks, in catalogue order; AUs
    with every channel present are left out. An AU with all its channels listed cannot be shown at
    all, one with some listed only on its other side."""
    present = set(have)
    lacking = {au.number: [c for c in controls(au) if c not in present] for au in all_aus()
               if au.kind in POSE_KINDS}
    return {number: missing for number, missing in lacking.items() if missing}
