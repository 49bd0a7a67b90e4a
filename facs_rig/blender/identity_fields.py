# SPDX-License-Identifier: GPL-3.0-or-later
"""The identity's macro fields (docs/avatar.md, Identities), made once for the two places that hold
them: Add FACS Head's operator properties and the panel's scene settings, which pass their values on.

Each call makes new properties, as each class needs its own; the defaults are the default head's.
"""

from __future__ import annotations

from typing import Any

import bpy

from ..io.identity import MACROS

_DESCRIPTIONS = {
    "gender": "0 female, 1 male (MakeHuman's gender)",
    "age": "Age in years (MakeHuman's 1-90 curve)",
    "african": "Share of MakeHuman's African group (the three shares are normalised)",
    "asian": "Share of MakeHuman's Asian group (the three shares are normalised)",
    "caucasian": "Share of MakeHuman's Caucasian group (the three shares are normalised)",
    "muscle": "MakeHuman's muscle: 0 minimum, 0.5 average, 1 maximum",
    "weight": "MakeHuman's weight: 0 minimum, 0.5 average, 1 maximum",
}


def add_macro_fields(cls: type, prefix: str = "") -> None:
    """Give ``cls`` one float property per macro parameter, named ``prefix + name``.

    Added to the class's annotations before it is registered (Blender reads them at
    ``register_class``), so the operator and the scene settings list the parameters in one place.
    """
    cls.__annotations__.update({prefix + name: _macro_field(name) for name in MACROS})


def _macro_field(name: str) -> Any:
    """The float property of macro parameter ``name`` (``gender``, ``age``, ``african``, ...)."""
    low, high, default = MACROS[name]
    return bpy.props.FloatProperty(name=name.capitalize(), description=_DESCRIPTIONS[name], min=low, max=high,
                                   default=default, subtype="NONE" if name == "age" else "FACTOR")

