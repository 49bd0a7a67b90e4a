# SPDX-License-Identifier: GPL-3.0-or-later
"""Put facs_rig's animation back as it was when an apply fails half-way.

The keyframer checks everything it can before its first change, but writing can still be stopped
(Ctrl-C, a progress callback that raises, memory). A :class:`Checkpoint` taken before the first
change records what an apply may touch: facs_rig's own curves with every keyframe attribute, the
action and slot each ID plays, the names, slots and layers of those actions, the actions that exist,
the drivers' mute flags, some custom properties and the scene's rate and range. :meth:`restore`
removes what the failed apply wrote and puts the recorded state back, so the user finds the
animation they had, not half of a new one. The user's own curves are never removed, so they need no
copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import bpy
import numpy as np

from ..core.keys import Keys
from . import anim_compat

OursFn = Callable[[anim_compat.Container], list[bpy.types.FCurve]]
_POINT_ENUMS = ("handle_left_type", "handle_right_type", "easing")
_CURVE_ATTRS = ("extrapolation", "mute", "hide", "lock", "select")
_SCENE_ATTRS = (("render", "fps"), ("render", "fps_base"), ("", "frame_start"), ("", "frame_end"))
_MISSING = object()


@dataclass
class _Curve:
    data_path: str
    index: int
    keys: Keys
    enums: dict[str, np.ndarray]
    attrs: dict[str, Any]

    @classmethod
    def copy(cls, fcurve: bpy.types.FCurve) -> _Curve:
        points = fcurve.keyframe_points
        enums = {}
        for name in _POINT_ENUMS:
            buf = np.empty(len(points), np.int32)
            points.foreach_get(name, buf)
            enums[name] = buf
        attrs = {a: getattr(fcurve, a) for a in _CURVE_ATTRS}
        return cls(fcurve.data_path, fcurve.array_index, anim_compat.read_keys(fcurve), enums, attrs)

    def write(self, bag: anim_compat.Container, group: str) -> None:
        fcurve = anim_compat.new_fcurve(bag, self.data_path, self.index, anim_compat.group(bag, group))
        anim_compat.write_keys(fcurve, self.keys)
        for name, values in self.enums.items():
            fcurve.keyframe_points.foreach_set(name, values)
        for name, value in self.attrs.items():
            setattr(fcurve, name, value)
        fcurve.update()


@dataclass
class _IdState:
    id_data: bpy.types.ID
    had_anim: bool
    action: bpy.types.Action | None
    slot: int | None
    """Handle of the assigned slot (4.4+)."""
    curves: list[_Curve]
    mutes: dict[tuple[str, int], bool]


@dataclass
class _ActionState:
    name: str
    slots: set[int] = field(default_factory=set)
    layers: int = 0


class Checkpoint:
    """The state an apply may change on ``ids``; ``ours(bag)`` lists facs_rig's curves in a
    container (they go in group ``group``); ``props`` are custom properties of ``obj``."""

    def __init__(self, ids: Sequence[bpy.types.ID], ours: OursFn, *, group: str, obj: bpy.types.Object,
                 props: Sequence[str], scene: bpy.types.Scene) -> None:
        self.ours, self.group, self.obj, self.scene = ours, group, obj, scene
        self.ids = [self._id_state(i) for i in dict.fromkeys(ids)]
        self.existing = {a.as_pointer() for a in bpy.data.actions}
        self.actions = {s.action.as_pointer(): self._action_state(s.action) for s in self.ids if s.action}
        self.props = {p: obj.get(p, _MISSING) for p in props}
        self.scene_values = [getattr(self._owner(o), a) for o, a in _SCENE_ATTRS]

    def _owner(self, name: str) -> Any:
        return getattr(self.scene, name) if name else self.scene

    def _id_state(self, id_data: bpy.types.ID) -> _IdState:
        anim = id_data.animation_data  # type: ignore[attr-defined]  # stubs: per ID subclass
        action = anim.action if anim else None
        slot = anim.action_slot if anim and anim_compat.SLOTTED else None
        bag = anim_compat.container(id_data)
        curves = [_Curve.copy(fc) for fc in self.ours(bag)] if bag is not None else []
        mutes = {(d.data_path, d.array_index): d.mute for d in anim.drivers} if anim else {}
        return _IdState(id_data, anim is not None, action, slot.handle if slot else None, curves, mutes)

    @staticmethod
    def _action_state(action: bpy.types.Action) -> _ActionState:
        if not anim_compat.SLOTTED:
            return _ActionState(action.name)
        return _ActionState(action.name, {s.handle for s in action.slots}, len(action.layers))

    def restore(self) -> None:
        """Undo whatever happened since the checkpoint to what it recorded."""
        for state in self.ids:
            bag = anim_compat.container(state.id_data)
            for fcurve in self.ours(bag) if bag is not None else []:
                bag.fcurves.remove(fcurve)
            self._reassign(state)
        for action in [a for a in bpy.data.actions if a.as_pointer() not in self.existing]:
            if action.get(anim_compat.ACTION_MARK):
                bpy.data.actions.remove(action)
        for state in self.ids:
            if state.action is not None:
                self._restore_action(state.action)
        for state in self.ids:
            self._rewrite(state)
        for name, value in self.props.items():
            if value is _MISSING:
                self.obj.pop(name, None)
            else:
                self.obj[name] = value
        for (owner, attr), value in zip(_SCENE_ATTRS, self.scene_values, strict=True):
            setattr(self._owner(owner), attr, value)

    def _rewrite(self, state: _IdState) -> None:
        """The recorded curves back into the ID's restored container, its drivers' mute flags back."""
        bag = anim_compat.container(state.id_data)
        for curve in state.curves:
            curve.write(bag, self.group)
        if bag is not None:
            anim_compat.drop_empty_group(bag, self.group)
        anim = state.id_data.animation_data  # type: ignore[attr-defined]  # stubs: per ID subclass
        for driver in anim.drivers if anim else []:
            driver.mute = state.mutes.get((driver.data_path, driver.array_index), driver.mute)

    def _reassign(self, state: _IdState) -> None:
        anim = state.id_data.animation_data  # type: ignore[attr-defined]  # stubs: per ID subclass
        if anim is None:
            return
        if not state.had_anim and not anim.drivers and not anim.nla_tracks:
            state.id_data.animation_data_clear()
            return
        if anim.action != state.action:
            anim.action = state.action
        if anim_compat.SLOTTED and state.action is not None:
            anim.action_slot = next((s for s in state.action.slots if s.handle == state.slot), None)

    def _restore_action(self, action: bpy.types.Action) -> None:
        saved = self.actions[action.as_pointer()]
        if action.name != saved.name:
            action.name = saved.name
        if not anim_compat.SLOTTED:
            return
        for slot in [s for s in action.slots if s.handle not in saved.slots]:
            action.slots.remove(slot)
        while len(action.layers) > saved.layers:
            action.layers.remove(action.layers[-1])
