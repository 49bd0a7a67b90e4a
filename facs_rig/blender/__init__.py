# SPDX-License-Identifier: GPL-3.0-or-later
"""The bpy layer. ``CLASSES`` is the add-on's one registration list, in registration order
(property groups before the types that point at them, panels after their operators)."""

from __future__ import annotations

import bpy

from . import (
    avatar_operator,
    ops_controls,
    ops_expressions,
    ops_import,
    ops_live,
    ops_read_media,
    ops_render,
    ops_rig,
    ops_timeline,
    panel,
    preferences,
    props,
)

CLASSES: tuple[type, ...] = (
    preferences.FacsRigPreferences,
    *props.CLASSES,
    *ops_timeline.CLASSES,
    *ops_rig.CLASSES,
    avatar_operator.FACS_OT_add_default_head,
    *ops_render.CLASSES,
    *ops_controls.CLASSES,
    *ops_expressions.CLASSES,
    *ops_import.CLASSES,
    *ops_read_media.CLASSES,
    *ops_live.CLASSES,
    *panel.CLASSES,
)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)


def unregister() -> None:
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
