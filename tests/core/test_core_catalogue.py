# SPDX-License-Identifier: GPL-3.0-or-later
"""The AU catalogue against the code table of FACS.md section 1."""

from __future__ import annotations

import pytest

from facs_rig.core.catalogue import (
    PANEL_GROUPS,
    all_aus,
    channels_for_side,
    controls,
    get_au,
    normalise_au,
)
from facs_rig.core.errors import FacsError, UnknownAUError

# FACS.md section 1, as the specification: number -> (name, sides) for AUs with a muscular basis.
SPEC_AUS = {
    1: ("Inner Brow Raiser", "LR"),
    2: ("Outer Brow Raiser", "LR"),
    4: ("Brow Lowerer", "LR"),
    5: ("Upper Lid Raiser", "LR"),
    6: ("Cheek Raiser", "LR"),
    7: ("Lid Tightener", "LR"),
    8: ("Lips Toward Each Other", "TB"),
    9: ("Nose Wrinkler", "LR"),
    10: ("Upper Lip Raiser", "LR"),
    11: ("Nasolabial Furrow Deepener", "LR"),
    12: ("Lip Corner Puller", "LR"),
    13: ("Sharp Lip Puller", "LR"),
    14: ("Dimpler", "LR"),
    15: ("Lip Corner Depressor", "LR"),
    16: ("Lower Lip Depressor", "LR"),
    17: ("Chin Raiser", ""),
    18: ("Lip Pucker", "TB"),
    20: ("Lip Stretcher", "LR"),
    21: ("Neck Tightener", "LR"),
    22: ("Lip Funneler", "TB"),
    23: ("Lip Tightener", "TB"),
    24: ("Lip Presser", "TB"),
    25: ("Lips Part", ""),
    26: ("Jaw Drop", ""),
    27: ("Mouth Stretch", ""),
    28: ("Lip Suck", "TB"),
    31: ("Jaw Clencher", ""),
    38: ("Nostril Dilator", "LR"),
    39: ("Nostril Compressor", "LR"),
    43: ("Eye Closure", "LR"),
    45: ("Blink", "LR"),
    46: ("Wink", "LR"),
}
SPEC_DESCRIPTORS = {
    19: "Tongue Show",
    29: "Jaw Thrust",
    30: "Jaw Sideways",
    32: "Lip Bite",
    33: "Cheek Blow",
    34: "Cheek Puff",
    35: "Cheek Suck",
    36: "Tongue Bulge",
    37: "Lip Wipe",
}
SPEC_HEAD = {
    51: "Head Turn Left",
    52: "Head Turn Right",
    53: "Head Up",
    54: "Head Down",
    55: "Head Tilt Left",
    56: "Head Tilt Right",
    57: "Head Forward",
    58: "Head Back",
}
SPEC_EYES = {
    61: "Eyes Turn Left",
    62: "Eyes Turn Right",
    63: "Eyes Up",
    64: "Eyes Down",
    65: "Walleye",
    66: "Cross-eye",
}
SPEC_SUPPLEMENTARY = {40, 50, 68, 69, 70, 71, 72, 73, 74, 80, 81, 82, 83, 84, 85, 91, 92}
NOT_FACS = [3, 47, 48, 49, 59, 60, 67, 75, 76, 77, 78, 79, 86, 87, 88, 89, 90]


def test_catalogue_holds_exactly_the_codes_of_facs_md() -> None:
    numbers = {au.number for au in all_aus()}
    expected = set(SPEC_AUS) | set(SPEC_DESCRIPTORS) | set(SPEC_HEAD) | set(SPEC_EYES) | SPEC_SUPPLEMENTARY
    assert numbers == expected
    assert [au.number for au in all_aus()] == sorted(numbers)


@pytest.mark.parametrize(("number", "spec"), SPEC_AUS.items())
def test_action_units_have_names_muscles_and_sides(number: int, spec: tuple[str, str]) -> None:
    au = get_au(number)
    name, sides = spec
    assert (au.name, au.kind) == (name, "action_unit")
    assert au.muscles, "an action unit names its muscles"
    assert "".join(au.sides) == sides
    assert au.channels == (tuple(sides) or ("",))


@pytest.mark.parametrize(
    ("table", "kind"),
    [(SPEC_DESCRIPTORS, "action_descriptor"), (SPEC_HEAD, "head_position"), (SPEC_EYES, "eye_position")],
)
def test_descriptors_and_positions(table: dict[int, str], kind: str) -> None:
    for number, name in table.items():
        au = get_au(number)
        assert (au.name, au.kind, au.muscles) == (name, kind, ())


def test_events_and_panel_groups() -> None:
    assert all(get_au(n).is_event for n in (45, 84, 85))
    assert not any(get_au(n).is_event for n in (43, 46, 12, 51))
    assert {get_au(n).kind for n in SPEC_SUPPLEMENTARY} == {"supplementary"}
    assert {au.panel_group for au in all_aus()} <= set(PANEL_GROUPS)
    assert {get_au(n).panel_group for n in SPEC_HEAD} == {"head"}
    assert {get_au(n).panel_group for n in SPEC_EYES} == {"gaze"}
    assert {get_au(n).panel_group for n in (1, 2, 4)} == {"brows"}


@pytest.mark.parametrize("number", [*NOT_FACS, 0, 99, 1000, -1])
def test_unknown_numbers_are_errors_naming_the_number(number: int) -> None:
    with pytest.raises(UnknownAUError, match=rf"AU {number}\b") as info:
        get_au(number)
    assert info.value.number == number
    assert isinstance(info.value, FacsError) and isinstance(info.value, ValueError)
    with pytest.raises(UnknownAUError, match=rf"AU {number}\b"):
        normalise_au(number)


def test_baby_facs_code_says_why() -> None:
    with pytest.raises(UnknownAUError, match="Baby FACS"):
        get_au(3)
    with pytest.raises(UnknownAUError, match="normalise_au"):
        get_au("12")  # type: ignore[arg-type]


@pytest.mark.parametrize(("legacy", "target"), [(41, 43), (42, 43), (44, 7)])
def test_legacy_codes_map_with_a_warning(legacy: int, target: int) -> None:
    for form in (legacy, str(legacy), f"AU{legacy}"):
        number, warnings = normalise_au(form)
        assert number == target
        assert len(warnings) == 1 and str(legacy) in warnings[0] and "legacy" in warnings[0]
    with pytest.raises(UnknownAUError, match="normalise_au"):
        get_au(legacy)


@pytest.mark.parametrize("form", [12, "12", "AU12", "au12", "AU012", " AU12 ", 12.0])
def test_normalise_accepts_the_usual_spellings(form: object) -> None:
    assert normalise_au(form) == (12, [])  # type: ignore[arg-type]


def test_normalise_pads_and_rejects_nonsense() -> None:
    assert normalise_au("AU01") == (1, [])
    for bad in ("twelve", "AU", "", "12A", True, None, 12.5, [12]):
        with pytest.raises(UnknownAUError):
            normalise_au(bad)  # type: ignore[arg-type]


def test_controls_and_channels() -> None:
    assert controls(12) == ["AU12_L", "AU12_R"]
    assert controls(26) == ["AU26"]
    assert controls(22) == ["AU22_T", "AU22_B"]
    assert channels_for_side(12, "both") == ("L", "R")
    assert channels_for_side(12, "R") == ("R",)
    assert channels_for_side(28, "B") == ("B",)
    assert channels_for_side(26, "both") == ("",)
    for au, side in ((26, "L"), (12, "T"), (22, "L")):
        with pytest.raises(FacsError, match=f"AU {au}"):
            channels_for_side(au, side)
