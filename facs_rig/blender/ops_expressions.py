# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators that put FACS codes and expressions on the face.

A code or expression is read exactly as a timeline event (:func:`..core.timeline.code_events`), so
the panel and timeline files agree on what ``surprise`` at C or ``G7D`` means: letters written in
the code win, the chosen intensity fills the AUs without one, the user's scale turns letters into
values.

*Set Pose* writes the control values now (no keys). *Insert Event* adds one event whose apex is
the current frame, with the onset, hold and offset of the preferences, to facs_rig's animation of
the face: the animation is read back as a timeline (what Export writes), the event is added and
the whole is applied again, so overlapping events combine as in a timeline file (``max``) and
poses keyed with Key All keep holding.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import cast

import bpy

from ..core.errors import FacsError
from ..core.intensity import LETTERS
from ..core.model import Timeline, Track
from ..core.timeline import code_events, pose_values
from ..core.timing import check_frames, time_span
from . import keyframer
from .ops_common import OpStatus, attempt, finish, poll_face_controls
from .preferences import event_timing, intensity_scale
from .props import face, face_controls


def _what(expression: str, code: str, letter: str) -> str:
    return f"{expression} at {letter}" if expression else code


class _CodeOperator:
    """Properties and poll shared by the two operators that play a code or an expression."""

    expression: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Expression", description="Name from the expression library (surprise, polite_smile, ...)")
    code: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="FACS Code", description="A FACS score such as 1+2+5B+26 (instead of an expression)")
    intensity: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Intensity", description="Letter for AUs without their own",
        items=[(letter, letter, f"Intensity {letter}") for letter in LETTERS], default="C")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return poll_face_controls(cls, context)

    def _check_face(self, obj: bpy.types.Object, values: dict[str, float]) -> list[str]:
        """The controls the code needs that the face lacks; an error when it has none of them."""
        missing = [c for c in values if c not in face_controls(obj)]
        if missing and len(missing) == len(values):
            what = _what(self.expression, self.code, self.intensity)
            raise FacsError(f"{obj.name} has no control for any AU of {what}")
        return missing


class FACS_OT_apply_expression(_CodeOperator, bpy.types.Operator):
    """Set the face's AU controls to an expression or FACS code (no keys)"""

    bl_idname = "facs.apply_expression"
    bl_label = "Set FACS Pose"
    bl_options = {"REGISTER", "UNDO"}

    replace: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Replace Pose", default=True, description="Put every other AU control back to 0")

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        obj = face(context)
        try:
            events, warnings = code_events(code=self.code.strip(), expression=self.expression,
                                           intensity=self.intensity, scale=intensity_scale(context))
            values = pose_values(events)
            missing = self._check_face(obj, values)
        except FacsError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        present = face_controls(obj)
        for control in present:
            if control in values:
                obj[control] = values[control]
            elif self.replace:
                obj[control] = 0.0
        obj.update_tag()
        left_out = [f"{obj.name} has no control for {', '.join(missing)}: left out"] if missing else []
        shown = sum(c in present for c in values)
        return finish(self, left_out + warnings,
                      f"{_what(self.expression, self.code, self.intensity)}: set {shown} AU controls")


def _shifted(timeline: Timeline, seconds: float) -> Timeline:
    """The same timeline ``seconds`` later (to make room for an event before its start)."""
    if not seconds:
        return timeline
    events = [replace(e, onset=e.onset + seconds, apex=e.apex + seconds, apex_end=e.apex_end + seconds,
                      offset=e.offset + seconds) for e in timeline.events]
    tracks = [Track(t.au, t.side, t.times + seconds, t.values, t.source) for t in timeline.tracks]
    return replace(timeline, events=events, tracks=tracks, warnings=[])


class FACS_OT_insert_event(_CodeOperator, bpy.types.Operator):
    """Add an expression or FACS code to the face's animation as an event peaking at the current frame"""

    bl_idname = "facs.insert_event"
    bl_label = "Insert FACS Event"
    bl_options = {"REGISTER", "UNDO"}

    frame: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Apex Frame", description="Frame the event peaks at (default: the current frame)")
    onset: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Onset", min=0.0, soft_max=4.0, unit="TIME_ABSOLUTE",
        description="Seconds from start to apex (default: from the preferences)")
    hold: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Hold", min=0.0, soft_max=4.0, unit="TIME_ABSOLUTE",
        description="Seconds at the apex (default: from the preferences)")
    offset: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Offset", min=0.0, soft_max=4.0, unit="TIME_ABSOLUTE",
        description="Seconds from the end of the apex back to neutral (default: from the preferences)")
    ease: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Ease",
        items=(("smooth", "Smooth", "Cubic ease in-out"), ("linear", "Linear", "Constant speed")),
        description="Shape of onset and offset (default: from the preferences)")

    def _defaults(self, context: bpy.types.Context) -> None:
        """Fill what the caller left unset from the scene and the preferences (kept for redo)."""
        onset, hold, offset, ease = event_timing(context)
        defaults = {"frame": context.scene.frame_current, "onset": onset, "hold": hold, "offset": offset,
                    "ease": ease}
        for name, value in defaults.items():
            if not self.properties.is_property_set(name):
                setattr(self, name, value)

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        obj, scene = face(context), context.scene
        self._defaults(context)
        mode, _fps, start = keyframer.applied_timing(obj) or ("LIVE", 0.0, float(scene.frame_start))
        fps = keyframer.scene_fps(scene)
        apex = (self.frame - start) / fps
        times = (apex - self.onset, apex, apex + self.hold, apex + self.hold + self.offset)
        # Keyed poses hold through the scene's range and the new event, as their curves did.
        end = max((scene.frame_end - start) / fps, times[3])
        try:
            check_frames(times[0], times[3], fps, start)  # before anything is sampled up to ``end``
            existing = (keyframer.export_timeline(obj, scene=scene, end=end) if keyframer.has_animation(obj)
                        else Timeline(name=f"{obj.name} events"))
            # Anything before the animation's start moves the start (timeline times are never negative).
            shift = max(0.0, -min(times[0], time_span(existing)[0]))
            phases = tuple(t + shift for t in times)
            events, _ = code_events(code=self.code.strip(), expression=self.expression,
                                    intensity=self.intensity, scale=intensity_scale(context), times=phases,
                                    ease=self.ease, fps=fps, start_frame=start - shift * fps)
            if not events:
                raise FacsError("0 is the neutral face: there is no movement to insert")
            self._check_face(obj, pose_values(events))
        except FacsError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        existing = _shifted(existing, shift)
        timeline = replace(existing, events=[*existing.events, *events], warnings=[])
        result = attempt(self, context, lambda progress: keyframer.apply_timeline(
            obj, timeline, mode=cast(keyframer.Mode, mode), scene=scene, start_frame=start - shift * fps,
            progress=progress))
        if result is None:
            return {"CANCELLED"}
        last = math.ceil(self.frame + (self.hold + self.offset) * fps)
        late = f"; it ends at frame {last}, after the scene's end" if last > scene.frame_end else ""
        return finish(self, result.warnings,
                      f"{_what(self.expression, self.code, self.intensity)}: event peaking at frame "
                      f"{self.frame} on {obj.name} ({len(timeline.events)} events in all){late}")


CLASSES = (FACS_OT_apply_expression, FACS_OT_insert_event)
