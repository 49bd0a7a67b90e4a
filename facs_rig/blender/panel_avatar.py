# SPDX-License-Identifier: GPL-3.0-or-later
"""Avatar section: add the default head in the identity its fields give, pick the preset, build or
remove the rig, and see which AUs the face can show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

import bpy
import numpy as np

from ..core.errors import FacsError
from ..core.expressible import unexpressed
from ..core.mapping.presets import load_preset, preset_names
from ..core.mapping.resolve import resolve, resolve_auto
from ..core.model import parse_control_name
from ..io.identity import MACROS
from . import rig
from .panel_common import FacsSection, point_at, wrapped
from .props import FACS_PG_settings, face, settings


@dataclass(frozen=True)
class Preview:
    """What a preset would give a mesh: the preset chosen (``auto`` picks one) and its controls."""

    preset: str
    controls: tuple[str, ...] = ()
    error: str = ""


@lru_cache(maxsize=32)
def _preview(shapes: tuple[str, ...], bones: tuple[str, ...], preset: str,
             user_dirs: tuple[str, ...]) -> Preview:
    """Resolving costs about 20 ms; the panel redraws on every mouse move, so results are kept per
    (shape keys, bones, preset, user folders). Bone axes do not change which targets are found, so
    identity frames stand in for the armature's."""
    frames = {name: np.eye(3) for name in bones}
    try:
        if preset == "auto":
            resolved, _ = resolve_auto(shapes, frames, user_dirs)
        else:
            resolved = resolve(load_preset(preset, user_dirs), shapes, frames)
    except FacsError as exc:
        return Preview(preset, error=str(exc))
    if not resolved.controls:
        return Preview(resolved.preset, error=f"preset {resolved.preset!r} finds nothing on this mesh")
    return Preview(resolved.preset, tuple(resolved.controls))


def preview(obj: bpy.types.Object, preset: str, context: bpy.types.Context) -> Preview:
    armature = rig.find_armature(obj)
    data = cast(bpy.types.Armature, armature.data) if armature is not None else None
    bones = tuple(b.name for b in data.bones) if data is not None else ()
    return _preview(tuple(rig.shape_key_names(obj)), bones, preset, tuple(rig.user_preset_dirs(context)))


def detected_preset(obj: bpy.types.Object | None, context: bpy.types.Context) -> str:
    """The preset ``auto`` would pick for ``obj`` ("" when none fits or it is not a mesh)."""
    if obj is None or obj.type != "MESH":
        return ""
    found = preview(obj, "auto", context)
    return "" if found.error else found.preset


def coverage(controls: Sequence[str]) -> tuple[list[int], list[int]]:
    """AUs the controls can show, and the pose AUs of the catalogue they cannot (on any side)."""
    have = sorted({parse_control_name(c)[0] for c in controls})
    return have, [number for number in unexpressed(controls) if number not in have]


def _numbers(aus: Sequence[int]) -> str:
    return ", ".join(map(str, aus)) or "none"


def draw_coverage(layout: bpy.types.UILayout, controls: Sequence[str], heading: str) -> None:
    have, missing = coverage(controls)
    box = layout.box()
    box.label(text=heading, icon="INFO")
    wrapped(box, f"{len(have)} AUs expressible: {_numbers(have)}")
    wrapped(box, f"{len(missing)} missing: {_numbers(missing)}")


def preset_label(preset: str, detected: str) -> str:
    if preset != "auto":
        return preset
    return f"Auto ({detected})" if detected else "Auto"


class FACS_MT_presets(bpy.types.Menu):
    """Built-in and user mapping presets; picking one sets the panel's preset."""

    bl_label = "Mapping Preset"
    bl_idname = "FACS_MT_presets"

    def draw(self, context: bpy.types.Context) -> None:
        builtin = preset_names()
        user = [n for n in preset_names(rig.user_preset_dirs(context)) if n not in builtin]
        groups = [[("auto", preset_label("auto", detected_preset(face(context), context)))],
                  [(n, n) for n in builtin], [(n, f"{n} (user)") for n in user]]
        for i, group in enumerate(g for g in groups if g):
            if i:
                self.layout.separator()
            for name, label in group:
                op = self.layout.operator("wm.context_set_string", text=label)
                op.data_path = "scene.facs_rig.preset"
                op.value = name


def draw_identity(layout: bpy.types.UILayout, state: FACS_PG_settings) -> None:
    """The next head's identity fields, then Add FACS Head with their values (``random:SEED``
    instead when Random Identity is on; fields at their defaults make the default head)."""
    box = layout.box()
    fields = box.column(align=True)
    fields.enabled = not state.identity_random
    for name in MACROS:
        fields.prop(state, f"identity_{name}")
    row = box.row(align=True)
    row.prop(state, "identity_random")
    seed = row.row(align=True)
    seed.enabled = state.identity_random
    seed.prop(state, "identity_seed")
    op = box.operator("facs.add_default_head", icon="USER")
    for name in MACROS:
        setattr(op, name, getattr(state, f"identity_{name}"))
    op.details = f"random:{state.identity_seed}" if state.identity_random else ""


class FACS_PT_avatar(FacsSection, bpy.types.Panel):
    bl_label = "Avatar"
    bl_idname = "FACS_PT_avatar"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        state = settings(context)
        if state is None:
            layout.operator("facs.add_default_head", icon="USER")
            return
        draw_identity(layout, state)
        obj = face(context)
        if obj is None or obj.type != "MESH":
            layout.label(text="Select a mesh, or add the FACS Head", icon="INFO")
            return
        col = layout.column()
        point_at(col, context, obj)
        row = col.row(align=True)
        row.label(text="Preset")
        row.menu(FACS_MT_presets.bl_idname, text=preset_label(state.preset, detected_preset(obj, context)))
        known = state.preset == "auto" or state.preset in preset_names(rig.user_preset_dirs(context))
        if not known:
            wrapped(col, f"Preset {state.preset!r} not found (no longer in the user presets folder?): "
                         "pick another", icon="ERROR")
        row = col.row(align=True)
        rigged = rig.is_rigged(obj)
        build_row = row.row(align=True)
        build_row.enabled = known
        build = build_row.operator("facs.build_rig", text="Rebuild Rig" if rigged else "Build Rig",
                                   icon="MODIFIER")
        if known:  # the operator's preset enum refuses names it does not list
            build.preset = state.preset
        row.operator("facs.remove_rig", text="Remove", icon="X")
        if rigged:
            info = rig.rig_info(obj) or rig.RigRecord(preset="?")
            draw_coverage(col, info.controls, f"Rig: preset {info.preset}")
            return
        if not rig.shape_key_names(obj):  # a head without face shapes: generate them (docs/rig_any_head.md)
            col.operator("facs.generate_shapes", icon="SHAPEKEY_DATA")
        if not rig.shape_key_names(obj) and rig.find_armature(obj) is None:
            wrapped(col, f"{obj.name} has no shape keys and no armature: there is nothing to drive",
                    icon="ERROR")
            return
        found = preview(obj, state.preset, context)
        if not known:
            return
        if found.error:
            wrapped(col, found.error, icon="ERROR")
        else:
            draw_coverage(col, found.controls, f"Not rigged yet; preset {found.preset} would give")
