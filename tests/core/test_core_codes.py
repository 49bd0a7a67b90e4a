# SPDX-License-Identifier: GPL-3.0-or-later
"""FACS code strings: the examples of FACS.md, canonical formatting, errors, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facs_rig.core.catalogue import all_aus
from facs_rig.core.codes import (
    LEFT_STRONGER,
    RIGHT_STRONGER,
    CodeItem,
    FacsCode,
    format_code,
    parse_code,
)
from facs_rig.core.errors import CodeError, FacsError
from facs_rig.core.intensity import LETTERS


def letters(code: str) -> dict[int, dict[str, str]]:
    return {item.au: item.channel_letters for item in parse_code(code).items}


def test_examples_of_facs_md() -> None:
    assert letters("1+2+5B+26") == {1: {"": ""}, 2: {"": ""}, 5: {"": "B"}, 26: {"": ""}}
    assert letters("R12A+R14A") == {12: {"R": "A"}, 14: {"R": "A"}}
    assert letters("L7C") == {7: {"L": "C"}}
    assert letters("T22") == {22: {"T": ""}}
    assert letters("G7D+6C") == {6: {"": "C"}, 7: {"L": "C", "R": "D"}}
    assert letters("AU12") == letters("12") == {12: {"": ""}}
    assert letters("54E") == {54: {"": "E"}}


@pytest.mark.parametrize(
    ("prefix", "left", "right"),
    [("V", "D", "C"), ("Z", "E", ""), ("W", "C", "A"), ("G", "C", "D"), ("J", "", "D"), ("K", "", "E")],
)
def test_asymmetry_letters_become_side_intensities(prefix: str, left: str, right: str) -> None:
    strong = max(left, right)
    expected = {ch: letter for ch, letter in (("L", left), ("R", right)) if letter}
    assert letters(f"{prefix}12{strong}") == {12: expected}


def test_canonical_form() -> None:
    assert format_code(parse_code("26+5B+2+1")) == "1+2+5B+26"
    assert format_code(parse_code("L12A + R12C")) == "H12C"
    assert format_code(parse_code("L12C+R12C")) == "12C"
    assert format_code(parse_code("K7E")) == "R7E"
    assert format_code(parse_code("au06+AU12")) == "6+12"
    assert format_code(parse_code("0")) == "0" and parse_code("0") == FacsCode()
    assert str(parse_code("12C+6")) == "6+12C"


def test_legacy_codes_in_strings() -> None:
    code = parse_code("41+44")
    assert letters("41+44") == {7: {"": ""}, 43: {"": "B"}}
    assert len(code.warnings) == 2
    assert letters("42C") == {43: {"": "C"}}, "a written letter wins over the legacy default"


@pytest.mark.parametrize(
    ("text", "position", "token", "reason"),
    [
        ("1+2+5Q+26", 4, "5Q", "intensity letter"),
        ("1+2+3", 4, "3", "Baby FACS"),
        ("1+ 99", 3, "99", "AU 99"),
        ("12+", 3, "", "empty"),
        ("1++2", 2, "", "empty"),
        ("L26", 0, "L26", "side"),
        ("T12", 0, "T12", "lip"),
        ("G26C", 0, "G26C", "asymmetry"),
        ("G7", 0, "G7", "letter"),
        ("K7C", 0, "K7C", "stronger"),
        ("R12+R12A", 4, "R12A", "twice"),
        ("12+12", 3, "12", "twice"),
        ("12 C", 0, "12 C", "not an AU"),
        ("smile", 0, "smile", "not an AU"),
        ("6+12c", 2, "12c", "upper case: 'C'"),
        ("1+\u0662", 2, "\u0662", "not an AU"),  # a non-ASCII digit is not an AU number
        ("", 0, "", "empty"),
    ],
)
def test_errors_point_at_the_token(text: str, position: int, token: str, reason: str) -> None:
    with pytest.raises(CodeError) as info:
        parse_code(text)
    err = info.value
    assert (err.position, err.token) == (position, token)
    assert reason in str(err) and repr(text) in str(err)
    assert text[err.position :].startswith(err.token)


def test_non_string_is_a_facs_error() -> None:
    with pytest.raises(FacsError):
        parse_code(12)  # type: ignore[arg-type]


AUS = all_aus()


@st.composite
def token_groups(draw: st.DrawFn) -> list[str]:
    """The tokens of one AU in any legal spelling: whole, per side/lip, asymmetric, qualified."""
    au = draw(st.sampled_from(AUS))
    letter = draw(st.sampled_from(("", *LETTERS)))
    tag = draw(st.sampled_from(("", "AU", "au")))
    head = draw(st.sampled_from(("", "M")))
    forms = ["whole", "qualified"]
    if au.sides:
        forms += ["channels"]
    if au.is_sided:
        forms += ["asymmetric"]
    form = draw(st.sampled_from(forms))
    if form == "whole":
        return [f"{head}{tag}{au.number}{letter}"]
    if form == "qualified":
        return [f"{head}{draw(st.sampled_from('USA'))}{tag}{au.number}{letter}"]
    if form == "channels":
        chosen = draw(st.lists(st.sampled_from(au.sides), min_size=1, max_size=2, unique=True))
        return [f"{head}{ch}{tag}{au.number}{draw(st.sampled_from(('', *LETTERS)))}" for ch in chosen]
    strong = draw(st.integers(1, 5))
    steps = draw(st.integers(1, strong))
    prefix = draw(st.sampled_from((LEFT_STRONGER, RIGHT_STRONGER)))[steps - 1]
    return [f"{head}{prefix}{tag}{au.number}{LETTERS[strong - 1]}"]


@st.composite
def code_strings(draw: st.DrawFn) -> str:
    groups = draw(st.lists(token_groups(), min_size=1, max_size=6))
    seen: set[str] = set()
    tokens = []
    for group in groups:
        number = "".join(c for c in group[0] if c.isdigit())
        if number not in seen:
            seen.add(number)
            tokens += group
    tokens = draw(st.permutations(tokens))
    seps = draw(st.lists(st.sampled_from(("+", " + ", "+ ")), min_size=len(tokens), max_size=len(tokens)))
    return "".join(sep + tok for sep, tok in zip(["", *seps[1:]], tokens, strict=True))


@given(code_strings())
def test_round_trip(text: str) -> None:
    code = parse_code(text)
    canonical = format_code(code)
    assert parse_code(canonical) == code
    assert format_code(parse_code(canonical)) == canonical
    assert list(code.aus) == sorted(code.aus)


@given(
    st.lists(
        st.tuples(
            st.sampled_from([au for au in AUS if au.sides]),
            st.lists(st.sampled_from(LETTERS), min_size=2, max_size=2),
        ),
        max_size=5,
    )
)
def test_per_side_letters_survive_formatting(pairs: list) -> None:
    """Any letters on the two sides of an AU come back from the canonical string unchanged."""
    items = {}
    for au, (a, b) in pairs:
        items[au.number] = CodeItem(au.number, ((au.sides[0], a), (au.sides[1], b)))
    text = "+".join(f"{ch}{item.au}{letter}" for item in items.values() for ch, letter in item.letters) or "0"
    code = parse_code(text)
    assert {i.au: dict(i.letters) for i in parse_code(format_code(code)).items} == {
        i.au: dict(i.letters) for i in code.items
    }
    for item in code.items:
        want = dict(items[item.au].letters)
        got = item.channel_letters
        assert got == want or (
            got == {"": want[items[item.au].letters[0][0]]} and len(set(want.values())) == 1
        )


@given(st.text(alphabet="0123456789+ ABCDEFGHIJKLMNOPQRSTUVWXYZau", max_size=20))
def test_arbitrary_text_parses_or_raises_code_error(text: str) -> None:
    try:
        code = parse_code(text)
    except CodeError as exc:
        assert 0 <= exc.position <= len(text)
        assert text[exc.position :].startswith(exc.token)
    else:
        assert parse_code(format_code(code)) == code
