# SPDX-License-Identifier: GPL-3.0-or-later
"""What every section of the FACS panel shares: where it sits, how it shows a report, and how it
points other people's operators at the panel's face."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import bpy

from .props import face, face_controls, settings

MAIN_ID = "FACS_PT_main"
REPORT_LIMIT = 12
"""Report lines shown in the panel; the rest are counted (all of them went to the Info log)."""
WRAP = 46
"""Characters per label line: about what a default-width sidebar shows."""
if TYPE_CHECKING:  # the names UILayout's icon= accepts, and the panels' placement enums
    from bpy.stub_internal.rna_enums import IconItems as Icon
    from bpy.stub_internal.rna_enums import RegionTypeItems, SpaceTypeItems
else:
    Icon = str
ICONS: dict[str, Icon] = {"ERROR": "ERROR", "WARNING": "INFO", "INFO": "DOT"}


class FacsPanel:
    """Placement shared by the main panel and its sections (3D viewport, N panel, tab "FACS")."""

    bl_space_type: SpaceTypeItems = "VIEW_3D"
    bl_region_type: RegionTypeItems = "UI"
    bl_category = "FACS"


class FacsSection(FacsPanel):
    """A collapsible section under the main panel."""

    bl_parent_id = MAIN_ID


def form(layout: bpy.types.UILayout) -> bpy.types.UILayout:
    """A column of settings in Blender's property-split layout (label left, field right) without
    the keyframe buttons: these settings are the panel's own, never animated."""
    col = layout.column()
    col.use_property_split = True
    col.use_property_decorate = False
    return col


def wrapped(layout: bpy.types.UILayout, text: str, icon: Icon = "NONE", width: int = WRAP) -> None:
    """A long message as several labels (the sidebar cuts a single label off)."""
    col = layout.column(align=True)
    for i, line in enumerate(textwrap.wrap(text, width) or [""]):
        col.label(text=line, icon=icon if i == 0 else "BLANK1" if icon != "NONE" else "NONE")


def draw_report(layout: bpy.types.UILayout, summary: str, ok: bool, lines: Sequence[Any]) -> None:
    """A stored report: its summary, then the first :data:`REPORT_LIMIT` lines."""
    box = layout.box()
    wrapped(box, summary, icon="CHECKMARK" if ok else "ERROR")
    for line in lines[:REPORT_LIMIT]:
        wrapped(box, line.text, icon=ICONS.get(line.severity, "DOT"))
    if len(lines) > REPORT_LIMIT:
        box.label(text=f"... and {len(lines) - REPORT_LIMIT} more (all in the Info editor)")


def point_at(layout: bpy.types.UILayout, context: bpy.types.Context, obj: bpy.types.Object | None) -> None:
    """Make operators drawn in ``layout`` see the panel's face as the active object.

    Other operators (build rig, apply timeline, ...) work on ``context.active_object``; when the
    user pinned a face that is not the active object, buttons in this layout still act on it.
    """
    if obj is not None and obj != context.active_object:
        layout.context_pointer_set("active_object", obj)
        layout.context_pointer_set("object", obj)


def rigged_settings(layout: bpy.types.UILayout, context: bpy.types.Context, hint: str) -> Any | None:
    """The panel's settings when the face has AU controls; otherwise None, and ``hint`` says what
    to do first."""
    state = settings(context)
    if state is None or not face_controls(face(context)):
        layout.label(text=hint, icon="INFO")
        return None
    return state
