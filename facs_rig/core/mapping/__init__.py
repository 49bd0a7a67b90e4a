# SPDX-License-Identifier: GPL-3.0-or-later
"""Mapping layer: presets (AU control → shape keys and bones), tolerant name matching against a
mesh, and the pure-numpy reference of what the rig's drivers compute."""

from __future__ import annotations

from .presets import (
    Combination,
    MappingPreset,
    TargetSpec,
    linear_shape_matrix,
    load_preset,
    parse_preset,
    preset_names,
)

__all__ = [
    "Combination",
    "MappingPreset",
    "TargetSpec",
    "linear_shape_matrix",
    "load_preset",
    "parse_preset",
    "preset_names",
]
