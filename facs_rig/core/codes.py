# SPDX-License-Identifier: GPL-3.0-or-later
"""FACS score strings (``1+2+5B+26``, ``R12A+R14A``, ``G7D``) to data and back.

A parsed code stores, per AU, the intensity letter of each channel it names, so ``G7D`` (right
stronger by one level) and ``L7C+R7D`` are the same value. Formatting picks one canonical spelling
(AUs sorted, asymmetry letters where they fit), so ``parse_code(format_code(x)) == x``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .catalogue import CHANNEL_ORDER, get_au, legacy_code
from .errors import CodeError, FacsError
from .intensity import LETTERS

SIDE_PREFIXES = ("L", "R")
LIP_PREFIXES = ("T", "B")
LEFT_STRONGER = ("V", "W", "X", "Y", "Z")
"""Left side stronger by 1..5 levels."""
RIGHT_STRONGER = ("G", "H", "I", "J", "K")
"""Right side stronger by 1..5 levels."""
QUALIFIERS = ("U", "S", "A")
"""Unilateral (side unspecified), symmetric, asymmetric (unspecified): annotations kept as written."""

_TOKEN = re.compile(
    r"(?P<movement>M)?(?P<prefix>[LRTBUSAVWXYZGHIJK])?(?P<au_tag>AU|au|Au|aU)?(?P<number>[0-9]+)(?P<letter>[A-Za-z])?"
)
_NEUTRAL = "0"


@dataclass(frozen=True, order=True)
class CodeItem:
    """One AU of a score with the letter of each channel it names.

    ``letters`` pairs channels with letters: channel ``""`` means the whole AU (both sides / both
    lips, or the only control), ``"L"``/``"R"``/``"T"``/``"B"`` one part; letter ``""`` means no
    intensity was coded. ``qualifier`` is ``U``, ``S`` or ``A`` when written; ``movement`` is the
    ``M`` prefix.
    """

    au: int
    letters: tuple[tuple[str, str], ...] = (("", ""),)
    qualifier: str = ""
    movement: bool = False

    @property
    def channel_letters(self) -> dict[str, str]:
        return dict(self.letters)

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(ch for ch, _ in self.letters)

    def __str__(self) -> str:
        return "+".join(_format_item(self))


@dataclass(frozen=True)
class FacsCode:
    """A parsed FACS score: items sorted by AU, one per AU. Warnings (legacy codes) do not count
    for equality."""

    items: tuple[CodeItem, ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def aus(self) -> tuple[int, ...]:
        return tuple(item.au for item in self.items)

    def __str__(self) -> str:
        return format_code(self)

    def __iter__(self) -> Iterator[CodeItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _level(letter: str) -> int:
    return LETTERS.index(letter) + 1 if letter else 0


def _letter(level: int) -> str:
    return LETTERS[level - 1] if level else ""


def _parse_token(code: str, token: str, pos: int) -> tuple[CodeItem, list[str]]:
    def fail(reason: str) -> CodeError:
        return CodeError(code, pos, token, reason)

    match = _TOKEN.fullmatch(token)
    if match is None:
        if not token:
            raise fail("empty AU between '+' signs")
        raise fail("not an AU: expected [prefix]number[A-E], e.g. 12, L12C, G7D")
    prefix = match["prefix"] or ""
    letter = match["letter"] or ""
    if letter and letter not in LETTERS:
        case = f" (letters are upper case: {letter.upper()!r})" if letter.upper() in LETTERS else ""
        raise fail(f"bad intensity letter {letter!r}: use A, B, C, D or E{case}")
    number = int(match["number"])
    warnings: list[str] = []
    legacy = legacy_code(number)
    if legacy is not None:
        warnings.append(legacy.warning())
        number, letter = legacy.maps_to, letter or legacy.letter
    try:
        au = get_au(number)
    except FacsError as exc:
        raise fail(str(exc)) from None
    level = _level(letter)
    if prefix in SIDE_PREFIXES + LIP_PREFIXES:
        if prefix not in au.sides:
            kind = "side" if prefix in SIDE_PREFIXES else "lip"
            sides = "/".join(au.sides) if au.sides else "none"
            raise fail(f"AU {number} has no {kind} prefix {prefix!r} (its sides: {sides})")
        return CodeItem(number, ((prefix, letter),), movement=bool(match["movement"])), warnings
    if prefix in LEFT_STRONGER + RIGHT_STRONGER:
        if not au.is_sided:
            raise fail(f"asymmetry prefix {prefix!r} needs an AU with left and right sides; "
                       f"AU {number} has none")
        if not letter:
            raise fail(f"asymmetry prefix {prefix!r} needs an intensity letter for the stronger side")
        stronger, steps = ("L", LEFT_STRONGER.index(prefix) + 1) if prefix in LEFT_STRONGER else (
            "R", RIGHT_STRONGER.index(prefix) + 1)
        weaker_level = level - steps
        if weaker_level < 0:
            raise fail(f"{prefix!r} makes one side {steps} levels stronger, "
                       f"more than intensity {letter} allows")
        weaker = "R" if stronger == "L" else "L"
        pairs = {stronger: letter, weaker: _letter(weaker_level)}
        letters = tuple((ch, pairs[ch]) for ch in ("L", "R") if pairs[ch])
        return CodeItem(number, letters, movement=bool(match["movement"])), warnings
    return CodeItem(number, (("", letter),), qualifier=prefix, movement=bool(match["movement"])), warnings


def _merge(code: str, a: CodeItem, b: CodeItem, pos: int, token: str) -> CodeItem:
    """Join ``L12A`` and ``R12C`` into one item; the same channel twice is an error."""
    mine, theirs = a.channel_letters, b.channel_letters
    if "" in mine or "" in theirs or set(mine) & set(theirs) or (a.qualifier, a.movement) != (
        b.qualifier, b.movement
    ):
        raise CodeError(code, pos, token, f"AU {a.au} is coded twice")
    merged = mine | theirs
    return CodeItem(a.au, tuple(sorted(merged.items(), key=lambda kv: CHANNEL_ORDER.index(kv[0]))),
                    a.qualifier, a.movement)


def parse_code(text: str) -> FacsCode:
    """Parse a FACS score. ``"0"`` is the neutral face (no AUs).

    Accepts ``+`` separators with optional spaces, an optional ``AU`` before each number, side
    (L R), lip (T B), asymmetry (V–Z left stronger, G–K right stronger), qualifier (U S A) and
    movement (M) prefixes, and A–E letters. Raises :class:`CodeError` pointing at the token.
    """
    if not isinstance(text, str):
        raise FacsError(f"a FACS code is a string, got {type(text).__name__}")
    if text.strip() == _NEUTRAL:
        return FacsCode()
    if not text.strip():
        raise CodeError(text, 0, text, "empty FACS code")
    items: dict[int, CodeItem] = {}
    warnings: list[str] = []
    pos = 0
    for raw in text.split("+"):
        token = raw.strip()
        start = pos + (len(raw) - len(raw.lstrip()))
        item, item_warnings = _parse_token(text, token, start)
        warnings += item_warnings
        items[item.au] = _merge(text, items[item.au], item, start, token) if item.au in items else item
        pos += len(raw) + 1
    return FacsCode(tuple(_collapse(items[n]) for n in sorted(items)), tuple(warnings))


def _collapse(item: CodeItem) -> CodeItem:
    """``L12C+R12C`` is ``12C``: all channels at one letter become the whole AU, so each value has
    one representation."""
    letters = item.channel_letters
    if "" not in letters and set(letters) == set(get_au(item.au).sides) and len(set(letters.values())) == 1:
        return CodeItem(item.au, (("", item.letters[0][1]),), item.qualifier, item.movement)
    return item


def _format_item(item: CodeItem) -> list[str]:
    """The canonical tokens of one item: usually one, two when the sides cannot share a prefix."""
    head = "M" if item.movement else ""
    letters = item.channel_letters
    if set(letters) == {"L", "R"} and letters["L"] and letters["R"]:
        left, right = _level(letters["L"]), _level(letters["R"])
        if left == right:
            return [f"{head}{item.au}{letters['L']}"]
        prefix = LEFT_STRONGER[left - right - 1] if left > right else RIGHT_STRONGER[right - left - 1]
        return [f"{head}{prefix}{item.au}{_letter(max(left, right))}"]
    return [f"{head}{ch or item.qualifier}{item.au}{letter}" for ch, letter in item.letters]


def format_code(code: FacsCode | CodeItem | str) -> str:
    """Canonical spelling: AUs ascending, ``G7D`` for unequal sides, ``0`` for the neutral face."""
    if isinstance(code, str):
        code = parse_code(code)
    if isinstance(code, CodeItem):
        return str(code)
    tokens = [tok for item in sorted(code.items) for tok in _format_item(item)]
    return "+".join(tokens) if tokens else _NEUTRAL


def canonical(text: str) -> str:
    """``format_code(parse_code(text))``: one spelling for comparisons and display."""
    return format_code(parse_code(text))
