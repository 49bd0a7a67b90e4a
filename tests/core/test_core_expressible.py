# SPDX-License-Identifier: GPL-3.0-or-later
"""What a rig's controls leave out, as the panel and ``info`` report it."""

from __future__ import annotations

from facs_rig.core.catalogue import all_aus, controls
from facs_rig.core.expressible import POSE_KINDS, unexpressed


def test_a_full_rig_lacks_nothing() -> None:
    full = [c for au in all_aus() if au.kind in POSE_KINDS for c in controls(au)]
    assert unexpressed(full) == {}


def test_missing_aus_and_missing_sides() -> None:
    have = ["AU12_L", "AU26", "AU01_L", "AU01_R"]
    missing = unexpressed(have)
    assert missing[12] == ["AU12_R"]  # one side only: the other side is what is missing
    assert 26 not in missing and 1 not in missing
    assert missing[4] == controls(4)  # no channel at all
    assert all(au.kind in POSE_KINDS for au in all_aus() if au.number in missing)
    speech = [au.number for au in all_aus() if au.kind not in POSE_KINDS]
    assert speech and not set(speech) & set(missing)  # supplementary codes are no rig's business
