# SPDX-License-Identifier: GPL-3.0-or-later
"""AU Controls section: a slider per AU control of the face, grouped by region as the catalogue
says, both sides of an AU on one row, each with its FACS intensity letter."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import bpy

from ..core.catalogue import PANEL_GROUPS, ActionUnit, get_au, is_known
from ..core.intensity import IntensityScale
from ..core.model import parse_control_name
from .panel_common import FacsSection, rigged_settings
from .preferences import intensity_scale
from .props import face, face_controls

_TOKENS = re.compile(r"[\s,+]+")


@dataclass(frozen=True)
class Row:
    """One AU of the face: its catalogue entry (None for a number FACS does not define) and the
    controls it has, in channel order."""

    number: int
    au: ActionUnit | None
    controls: tuple[str, ...]

    @property
    def group(self) -> str:
        return self.au.panel_group if self.au else "other"

    @property
    def label(self) -> str:
        return self.au.label if self.au else f"AU{self.number}"


def rows(controls: Sequence[str]) -> list[Row]:
    """Controls gathered per AU (``AU12_L`` and ``AU12_R`` share a row), in the order given."""
    by_au: dict[int, list[str]] = {}
    for control in controls:
        by_au.setdefault(parse_control_name(control)[0], []).append(control)
    return [Row(n, get_au(n) if is_known(n) else None, tuple(names)) for n, names in by_au.items()]


def matches(row: Row, text: str) -> bool:
    """Whether a row passes the filter: any of its words is the AU number (``12``), part of a
    control or AU name (``au12``, ``brow``) or the region (``mouth``). ``1+2+4`` lists three AUs."""
    words = [w for w in _TOKENS.split(text.lower()) if w]
    if not words:
        return True
    haystack = " ".join([row.label, *row.controls, row.group]).lower()
    return any(int(w) == row.number if w.isdigit() else w in haystack for w in words)


def grouped(controls: Sequence[str], text: str = "") -> list[tuple[str, list[Row]]]:
    """Filtered rows per panel group, in the catalogue's group order; empty groups left out."""
    kept = [r for r in rows(controls) if matches(r, text)]
    return [(g, [r for r in kept if r.group == g]) for g in PANEL_GROUPS if any(r.group == g for r in kept)]


def letter(scale: IntensityScale, value: float) -> str:
    """The FACS letter of a control value under the user's scale; a dash for absent."""
    return scale.to_letter(float(value)) or "-"


def _draw_row(layout: bpy.types.UILayout, obj: bpy.types.Object, row: Row, scale: IntensityScale) -> None:
    col = layout.column(align=True)
    col.label(text=row.label)
    line = col.row(align=True)
    for control in row.controls:
        channel = parse_control_name(control)[1]
        cell = line.row(align=True)
        cell.prop(obj, f'["{control}"]', text=channel, slider=True)
        tag = cell.row(align=True)
        tag.ui_units_x = 1.0
        tag.label(text=letter(scale, obj[control]))


class FACS_PT_controls(FacsSection, bpy.types.Panel):
    bl_label = "AU Controls"
    bl_idname = "FACS_PT_controls"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        state = rigged_settings(layout, context, "Build a FACS rig to get AU controls")
        if state is None:
            return
        obj = face(context)
        controls = face_controls(obj)
        layout.prop(state, "filter", text="", icon="VIEWZOOM")
        row = layout.row(align=True)
        row.operator("facs.reset_controls", text="Reset All", icon="LOOP_BACK")
        row.operator("facs.key_controls", text="Key All", icon="KEY_HLT")
        groups = grouped(controls, state.filter)
        if not groups:
            layout.label(text=f"No AU matches {state.filter!r}", icon="INFO")
            return
        scale = intensity_scale(context)
        for group, members in groups:
            header, body = layout.panel(f"FACS_PT_controls_{group}")
            header.label(text=f"{group.capitalize()} ({len(members)})")
            if body is not None:
                for member in members:
                    _draw_row(body, obj, member, scale)
