# SPDX-License-Identifier: GPL-3.0-or-later
"""Tolerant name matching: find a preset's shape keys and bones on a real mesh and armature.

Rigs spell one shape many ways (``eyeBlinkLeft``, ``eyeBlink_L``, ``EyeBlinkLeft``,
``Face.eyeBlinkLeft``, ``A01_Brow_Inner_Up``, ``CC_Base_L_Eye``), so names are compared by a key
that ignores case, separators, zero padding, the spelling and place of the side word, and a
namespace or numbered prefix. Exact spellings still win over tolerant ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from ...paths import PRESETS
from ..errors import FacsError
from ..jsondoc import Checker, DocumentError, FileError, read_document

_SEPARATORS = re.compile(r"[^0-9A-Za-z]+")
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SIDE_WORDS = {"left": "l", "right": "r", "l": "l", "r": "r"}
_NAMESPACE = re.compile(r"^.*[.:|](?=.*[A-Za-z]{3})")
_NUMBERED = re.compile(r"^[A-Za-z]\d+[_\-. ]+")
_SEPARATOR_CHARS = "_-. :|"
BONE_TABLE = PRESETS / "bones.json"
"""Groups of names rigs give one bone (``LeftEye``, ``CC_Base_L_Eye``, ``J_Adj_L_FaceEye``, ...)."""


def name_key(name: str) -> str:
    """The comparison key of a name: ``eyeBlink_L``, ``EyeBlinkLeft`` and ``eye-blink.l`` all give
    ``eyeblinkl``; ``LeftEye``, ``eye.L`` and ``L_Eye`` give ``eyel``; ``AU01L`` and ``AU1_L`` give
    ``au1l``."""
    words: list[str] = []
    for part in _SEPARATORS.split(name):
        for word in _WORDS.findall(part):
            low = word.lower()
            for side in ("left", "right"):
                if low.endswith(side) and low != side:  # "eyeblinkleft" written in one case
                    words += [low.removesuffix(side), side]
                    break
            else:
                words.append(low)
    words = [_SIDE_WORDS.get(w, w) for w in words]
    words = [(w.lstrip("0") or "0") if w.isdigit() else w for w in words]
    sides = [i for i, w in enumerate(words) if w in ("l", "r")]
    if len(sides) == 1 and len(words) > 1:
        words.append(words.pop(sides[0]))
    return "".join(words)


def common_prefix(names: Sequence[str]) -> str:
    """The prefix every name shares, cut back to its last separator (``CC_Base_``), or ``""``."""
    if len(names) < 2:
        return ""
    first, last = min(names), max(names)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    prefix = first[:n]
    cut = max(prefix.rfind(c) for c in _SEPARATOR_CHARS)
    return prefix[: cut + 1] if cut >= 0 else ""


@dataclass
class NameIndex:
    """Looks names up among a mesh's shape keys (or an armature's bones), best spelling first."""

    names: Sequence[str]
    _keys: dict[str, list[tuple[int, str]]] = field(default_factory=dict, init=False)
    _casefold: dict[str, str] = field(default_factory=dict, init=False)
    ambiguous: list[str] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        prefix = common_prefix(self.names)
        for name in self.names:
            self._casefold.setdefault(name.casefold(), name)
            for level, form in enumerate(self._forms(name, prefix)):
                entries = self._keys.setdefault(name_key(form), [])
                if all(n != name for _, n in entries):
                    entries.append((level, name))

    @staticmethod
    def _forms(name: str, prefix: str) -> Iterable[str]:
        yield name
        yield _NAMESPACE.sub("", name)
        yield _NUMBERED.sub("", name)
        if prefix and name.startswith(prefix) and len(name) > len(prefix):
            yield name[len(prefix):]

    def find(self, wanted: str) -> str | None:
        if wanted in self.names:
            return wanted
        if (hit := self._casefold.get(wanted.casefold())) is not None:
            return hit
        entries = self._keys.get(name_key(wanted))
        if not entries:
            return None
        best = min(level for level, _ in entries)
        hits = [n for level, n in entries if level == best]
        if len(hits) > 1:
            self.ambiguous.append(f"{wanted!r} matches {', '.join(map(repr, hits))}: using {hits[0]!r}")
        return hits[0]


@cache
def bone_aliases() -> dict[str, tuple[str, ...]]:
    """:func:`name_key` of every name in :data:`BONE_TABLE` → all names of its group, in order.

    Data, not code, so a new rig family is one more name in a JSON file."""
    def error(path: str, message: str) -> FacsError:
        return FacsError(f"{BONE_TABLE}: {path}: {message}")

    try:
        data = read_document(BONE_TABLE, what="bone name table")
    except (FileError, DocumentError) as exc:
        raise FacsError(f"{BONE_TABLE}: {exc}") from exc
    ck = Checker(raise_as=error)
    ck.expect(ck.obj(data, "").get("facs_rig_bones") == 1, "facs_rig_bones", "expected 1")
    aliases: dict[str, tuple[str, ...]] = {}
    for role, names in ck.obj(data.get("bones"), "bones").items():
        group = tuple(ck.array(names, f"bones.{role}", empty=False))
        ck.expect(all(isinstance(n, str) and n for n in group), f"bones.{role}", "expected names")
        for name in group:
            ck.expect(name_key(name) not in aliases, f"bones.{role}", f"{name!r} is in two groups")
            aliases[name_key(name)] = group
    return aliases


def find_bone(index: NameIndex, wanted: str) -> str | None:
    """``wanted`` among an armature's bones, else the first other name of its group in the bone
    table that is there: ``LeftEye`` finds ``J_Adj_L_FaceEye`` on a VRoid rig."""
    for name in (wanted, *bone_aliases().get(name_key(wanted), ())):
        if (found := index.find(name)) is not None:
            return found
    return None
