# SPDX-License-Identifier: GPL-3.0-or-later
"""Identities of the default head: who the FACS Head is (sex, age, ethnic mix, build, face details),
as MakeHuman models people.

An identity is a few named parameters, written ``gender=0.2,age=67,african=1`` (or ``random:SEED``,
a seeded draw within the plausible ranges of ``presets/identity.json``). It shapes the head with
MakeHuman's own targets (built into the asset by ``tools/build_avatar_asset.py``) weighted by
MakeHuman's macro maths, taken relative to the default identity: the head as built stands for
MakeHuman's default parameters (gender 0.5, 25 years, an equal ethnic mix, average muscle and
weight), so the default identity moves nothing and every other one moves the difference.

Pure numpy, so the CLI and batch specs check an identity before Blender starts, and the maths is
tested without Blender.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from ..core.errors import FacsError
from ..paths import PRESETS
from .avatar_asset import DEFAULT_PATH, IDENTITY_SET, AvatarAsset, load

ETHNIC = ("african", "asian", "caucasian")
AGE_YEARS = (1.0, 25.0, 90.0)
"""MakeHuman's age slider maps 0, 0.5 and 1 to these ages, linearly in between."""
MACROS: dict[str, tuple[float, float, float]] = {
    "gender": (0.0, 1.0, 0.5),
    "age": (AGE_YEARS[0], AGE_YEARS[2], AGE_YEARS[1]),
    "african": (0.0, 1.0, 1 / 3),
    "asian": (0.0, 1.0, 1 / 3),
    "caucasian": (0.0, 1.0, 1 / 3),
    "muscle": (0.0, 1.0, 0.5),
    "weight": (0.0, 1.0, 0.5),
}
"""Macro parameters: (lowest, highest, default). ``gender`` 0 is female, 1 male."""
EXAMPLE = "gender=0.2,age=67,african=1"
MAX_SEED = 2**32 - 1
_PAIR = re.compile(r"\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*([^=,]+?)\s*")


class IdentityError(FacsError):
    """An identity that cannot be made; the message says which parameter and what is allowed."""


@dataclass(frozen=True)
class Identity:
    """The parameters given (others keep their defaults), in a canonical order.

    ``text`` reads back as the same identity, so labels, manifests and .blend files record it."""

    values: tuple[tuple[str, float], ...] = ()
    source: str = ""
    """What the user wrote when it was not the parameters themselves (``random:7``)."""

    @property
    def text(self) -> str:
        return ",".join(f"{name}={_number(value)}" for name, value in self.values)

    @property
    def is_default(self) -> bool:
        return not self.values

    def macros(self) -> dict[str, float]:
        """Every macro parameter, the ethnic shares normalised to sum to 1 (unnamed groups are 0
        once any group is named)."""
        given = dict(self.values)
        out = {name: given.get(name, default) for name, (_lo, _hi, default) in MACROS.items()}
        if any(group in given for group in ETHNIC):
            shares = [given.get(group, 0.0) for group in ETHNIC]
            out.update({group: share / sum(shares) for group, share in zip(ETHNIC, shares, strict=True)})
        return out

    def details(self) -> dict[str, float]:
        return {name: value for name, value in self.values if name not in MACROS}


DEFAULT = Identity()


def _number(value: float) -> str:
    """The shortest text that reads back as the same float (``67``, not ``67.0``)."""
    return str(int(value)) if value.is_integer() else repr(value)


def parse_identity(text: str, details: Mapping[str, Sequence[str]]) -> Identity:
    """``gender=0.2,age=67,african=1``, ``random:SEED``, or ``""``/``default`` for the default head.

    ``details`` is the asset's table of face-detail parameters (name -> [target at -1, target at
    +1]). Raises :class:`IdentityError` for a malformed string, an unknown name (with the closest
    known names) or a value out of range."""
    stripped = text.strip()
    if stripped.lower() in ("", "default"):
        return DEFAULT
    if stripped.lower().startswith("random"):
        match = re.fullmatch(r"random:(\d{1,10})", stripped, flags=re.IGNORECASE)
        if not match or int(match[1]) > MAX_SEED:
            raise IdentityError(f"identity {stripped!r}: expected random:SEED with SEED a whole number "
                                f"from 0 to {MAX_SEED}")
        return random_identity(int(match[1]), details)
    values: dict[str, float] = {}
    for part in stripped.split(","):
        match = _PAIR.fullmatch(part)
        if not match:
            raise IdentityError(f"identity {stripped!r}: {part.strip()!r} is not NAME=VALUE; write "
                                f"comma-separated pairs such as {EXAMPLE}, or random:SEED")
        name, raw = match[1].lower(), match[2]
        if name in values:
            raise IdentityError(f"identity {stripped!r}: {name} is given twice")
        values[name] = _value(stripped, name, raw, details)
    return make_identity(values, details, text=stripped)


def make_identity(values: Mapping[str, float], details: Mapping[str, Sequence[str]], *, text: str = "",
                  source: str = "") -> Identity:
    """An identity from parameter values (the panel's fields, a random draw), checked as
    :func:`parse_identity` checks a string."""
    where = text or ",".join(f"{k}={v}" for k, v in values.items())
    checked = {name.lower(): _value(where, name.lower(), value, details) for name, value in values.items()}
    if any(group in checked for group in ETHNIC) and not sum(checked.get(g, 0.0) for g in ETHNIC) > 0:
        raise IdentityError(f"identity {where!r}: the ethnic shares ({', '.join(ETHNIC)}) are all 0; "
                            "give at least one a share above 0")
    order = list(MACROS) + sorted(details)
    ordered = tuple((name, checked[name]) for name in order if name in checked)
    return Identity(ordered, source) if ordered else Identity((), source)


def _value(where: str, name: str, raw: str | float, details: Mapping[str, Sequence[str]]) -> float:
    lo, hi = _range(where, name, details)
    try:
        value = float(raw)
    except ValueError:
        raise IdentityError(f"identity {where!r}: {name}={raw!s}: not a number") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        unit = " years" if name == "age" else ""
        raise IdentityError(f"identity {where!r}: {name}={raw!s} is out of range; use {_number(lo)} to "
                            f"{_number(hi)}{unit}")
    return value


def _range(where: str, name: str, details: Mapping[str, Sequence[str]]) -> tuple[float, float]:
    if name in MACROS:
        return MACROS[name][0], MACROS[name][1]
    if name in details:
        return (-1.0 if details[name][0] else 0.0), 1.0
    known = [*MACROS, *details]
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}?" if close else (
        f"parameters are {', '.join(MACROS)} and face details such as {', '.join(sorted(details)[:3])} "
        "(docs/avatar.md lists them)")
    raise IdentityError(f"identity {where!r}: unknown parameter {name!r}; {hint}")


# --- MakeHuman's macro maths -----------------------------------------------------------------------------


def age_slider(years: float) -> float:
    """Years -> MakeHuman's age slider (0 at 1 year, 0.5 at 25, 1 at 90)."""
    young, mid, old = AGE_YEARS
    if years < mid:
        return 0.5 * (years - young) / (mid - young)
    return 0.5 + 0.5 * (years - mid) / (old - mid)


def _age_weights(slider: float) -> dict[str, float]:
    """MakeHuman's weights of its four age targets (``human.py``: baby until 1/5.333, child to
    0.1875, young at 0.5, old at 1)."""
    if slider < 0.5:
        young = max(0.0, (slider - 0.1875) * 3.2)
        return {"baby": max(0.0, 1 - slider * 5.333), "child": max(0.0, min(1.0, 5.333 * slider) - young),
                "young": young, "old": 0.0}
    young = 1 - (slider - 0.5) * 2
    return {"baby": 0.0, "child": 0.0, "young": young, "old": 1 - young}


def _three(value: float, low: str, high: str, middle: str) -> dict[str, float]:
    """Muscle and weight: min below the middle of the slider, max above, average between."""
    top, bottom = max(0.0, value * 2 - 1), max(0.0, 1 - value * 2)
    return {low: bottom, high: top, middle: 1 - top - bottom}


def macro_weights(identity: Identity) -> dict[str, float]:
    """MakeHuman's weight of every macro target (``african-female-young``,
    ``universal-male-old-maxmuscle-averageweight``, ...) for ``identity``, zero weights left out."""
    m = identity.macros()
    gender = {"female": 1 - m["gender"], "male": m["gender"]}
    age = _age_weights(age_slider(m["age"]))
    muscle = _three(m["muscle"], "minmuscle", "maxmuscle", "averagemuscle")
    weight = _three(m["weight"], "minweight", "maxweight", "averageweight")
    out: dict[str, float] = {}
    for g, wg in gender.items():
        for a, wa in age.items():
            for race in ETHNIC:
                out[f"{race}-{g}-{a}"] = m[race] * wg * wa
            for mu, wm in muscle.items():
                for we, ww in weight.items():
                    out[f"universal-{g}-{a}-{mu}-{we}"] = wg * wa * wm * ww
    return {name: w for name, w in out.items() if w}


def detail_weights(identity: Identity, details: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """Face-detail targets: a negative value weights the parameter's first target, a positive one
    its second."""
    out: dict[str, float] = {}
    for name, value in identity.details().items():
        negative, positive = details[name]
        target = negative if value < 0 else positive
        out[target] = out.get(target, 0.0) + abs(value)
    return out


def target_weights(
    identity: Identity, names: Sequence[str], details: Mapping[str, Sequence[str]]
) -> np.ndarray:
    """Weight of each identity target in ``names`` (the asset's order) *relative to the default
    identity*: zero everywhere for the default, so the built head is left exactly as it is."""
    now = {**macro_weights(identity), **detail_weights(identity, details)}
    base = macro_weights(DEFAULT)
    return np.array([now.get(name, 0.0) - base.get(name, 0.0) for name in names])


# --- random identities and skin ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ranges:
    """``presets/identity.json``: where random identities are drawn, and the ethnic skin colours."""

    gender: tuple[tuple[float, float], ...]
    age: tuple[float, float]
    main_ethnic_share: tuple[float, float]
    muscle: tuple[float, float]
    weight: tuple[float, float]
    detail_count: int
    detail_range: tuple[float, float]
    details: tuple[str, ...]
    skin_linear: np.ndarray  # (3 ethnic groups, RGB)


def _pair(value: Any) -> tuple[float, float]:
    return float(value[0]), float(value[1])


@cache
def _ranges() -> _Ranges:
    with (PRESETS / "identity.json").open(encoding="utf-8") as fh:
        data: Any = json.load(fh)
    r = data["random"]
    return _Ranges(
        gender=tuple(_pair(band) for band in r["gender"]), age=_pair(r["age"]),
        main_ethnic_share=_pair(r["main_ethnic_share"]), muscle=_pair(r["muscle"]), weight=_pair(r["weight"]),
        detail_count=int(r["detail_count"]), detail_range=_pair(r["detail_range"]),
        details=tuple(str(name) for name in r["details"]),
        skin_linear=srgb_to_linear(np.array([data["skin_srgb"][g] for g in ETHNIC], dtype=np.float64)),
    )


def random_identity(seed: int, details: Mapping[str, Sequence[str]]) -> Identity:
    """A seeded draw: a clear sex, an adult age, one main ethnic group (its share drawn, the rest
    split between the others), build near average and a few face details, all within
    ``presets/identity.json``'s ranges and rounded so the text reads back as the same identity."""
    spec = _ranges()
    rng = np.random.default_rng(seed)
    band = spec.gender[int(rng.integers(len(spec.gender)))]
    values: dict[str, float] = {"gender": round(float(rng.uniform(*band)), 3)}
    values["age"] = round(float(rng.uniform(*spec.age)), 1)
    main = int(rng.integers(len(ETHNIC)))
    share = float(rng.uniform(*spec.main_ethnic_share))
    split = float(rng.uniform())
    rest = [(1 - share) * split, (1 - share) * (1 - split)]
    for i, group in enumerate(ETHNIC):
        values[group] = round(share if i == main else rest.pop(0), 3)
    values["muscle"] = round(float(rng.uniform(*spec.muscle)), 3)
    values["weight"] = round(float(rng.uniform(*spec.weight)), 3)
    pool = [name for name in spec.details if name in details]
    lo, hi = spec.detail_range
    for name in sorted(rng.choice(pool, size=min(spec.detail_count, len(pool)), replace=False).tolist()):
        values[name] = round(float(rng.uniform(lo if details[name][0] else 0.0, hi)), 3)
    return make_identity(values, details, source=f"random:{seed}")


def srgb_to_linear(srgb: np.ndarray) -> np.ndarray:
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(lin: np.ndarray) -> np.ndarray:
    return np.where(lin <= 0.0031308, lin * 12.92, 1.055 * np.maximum(lin, 0.0) ** (1 / 2.4) - 0.055)


def skin_factor(identity: Identity) -> np.ndarray:
    """Per-channel factor (linear light) that turns the default head's skin into ``identity``'s:
    the ethnic groups' colours blended by its shares, over the same blend for the default mix
    (1, 1, 1 for the default identity and any identity with the default shares)."""
    table = _ranges().skin_linear

    def blend(who: Identity) -> np.ndarray:
        m = who.macros()
        return np.asarray(np.array([m[group] for group in ETHNIC]) @ table, dtype=np.float64)

    return np.asarray(blend(identity) / blend(DEFAULT), dtype=np.float64)


def details_of(asset: AvatarAsset) -> dict[str, list[str]]:
    """The asset's face-detail parameters (name -> [target at -1, target at +1])."""
    return dict(asset.meta.get("identity_details", {}))


def default_head_details() -> dict[str, list[str]]:
    """The face-detail table of the built default head, to check an identity before Blender starts
    (``AvatarAssetError`` when the asset is missing or stale)."""
    return details_of(load(DEFAULT_PATH))


def shape(asset: AvatarAsset, identity: Identity) -> tuple[np.ndarray, np.ndarray]:
    """The neutral head and the joint pivots of ``identity``: the asset's positions and joints
    plus its weighted identity targets, in bulk (one weighted sum per coordinate). The default
    identity returns the asset's own arrays, untouched."""
    if identity.is_default:
        return asset.positions, asset.joint_positions
    rows = asset.key_rows(IDENTITY_SET)
    weights = target_weights(identity, [asset.key_names[r] for r in rows], details_of(asset))
    used = np.flatnonzero(weights)
    spans = [np.arange(asset.key_starts[rows[i]], asset.key_starts[rows[i] + 1]) for i in used]
    picked = np.concatenate(spans) if spans else np.zeros(0, dtype=np.int64)
    per_row = np.repeat(weights[used], [len(span) for span in spans])
    idx, deltas = asset.key_indices[picked], asset.key_deltas[picked] * per_row[:, None]
    n = asset.vertex_count
    offset = np.stack([np.bincount(idx, weights=deltas[:, axis], minlength=n) for axis in range(3)], axis=1)
    joints = asset.joint_positions + np.tensordot(weights, asset.identity_joints, axes=1)
    return (asset.positions + offset).astype(np.float32), joints.astype(np.float32)
