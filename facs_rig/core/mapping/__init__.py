# SPDX-License-Identifier: GPL-3.0-or-later
"""Mapping layer: presets (AU control → shape keys and bones), tolerant name matching against a
mesh, and the pure-numpy reference of what the rig's drivers compute (docs/mapping.md)."""

from __future__ import annotations

from .evaluate import effective_controls, evaluate_targets
from .presets import (
    Combination,
    MappingPreset,
    TargetSpec,
    linear_shape_matrix,
    load_preset,
    parse_preset,
    preset_names,
)
from .resolve import Coverage, ResolvedMapping, resolve, resolve_auto

__all__ = [
    "Combination",
    "Coverage",
    "MappingPreset",
    "ResolvedMapping",
    "TargetSpec",
    "effective_controls",
    "evaluate_targets",
    "linear_shape_matrix",
    "load_preset",
    "parse_preset",
    "preset_names",
    "resolve",
    "resolve_auto",
]
