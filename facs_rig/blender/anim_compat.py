# SPDX-License-Identifier: GPL-3.0-or-later
"""Animation data that reads and writes the same way on Blender 4.2 to 5.0.

4.2 keeps F-curves on the action; 4.4 and later keep them in a channelbag per slot, and 5.0 removed
``Action.fcurves``. Everything here goes through the container the ID actually plays: the action on
4.2, the channelbag of the slot assigned in the ID's ``animation_data`` on 4.4+. Both have
``fcurves`` and ``groups``, so the rest of facs_rig never asks which Blender it runs in.
"""

from __future__ import annotations

from typing import Any, cast

import bpy
import numpy as np

from ..core.keys import HANDLE_FREE, Keys

SLOTTED = bpy.app.version >= (4, 4, 0)
ACTION_MARK = "facs_rig"
"""Custom property on actions facs_rig created for IDs that had none: only those does it delete."""
GROUP = "facs_rig"
"""F-curve group of every curve facs_rig writes; any other curve is the user's."""

Container = Any
"""``bpy.types.Action`` on 4.2, ``bpy.types.ActionChannelbag`` on 4.4+."""


def container(id_data: bpy.types.ID) -> Container | None:
    """The F-curves that animate ``id_data`` now, or None if it has no action (or no slot)."""
    anim = id_data.animation_data  # type: ignore[attr-defined]  # stubs: per ID subclass
    action = anim.action if anim else None
    if action is None:
        return None
    if not SLOTTED:
        return action
    slot = anim.action_slot
    if slot is None:
        return None
    for layer in action.layers:
        for strip in layer.strips:
            if strip.type == "KEYFRAME" and (bag := strip.channelbag(slot)) is not None:
                return bag
    return None


class ActionMaker:
    """Finds or makes the container of each ID one apply writes to.

    An ID that has an action keeps it (facs_rig writes into it, through its slot). An ID without
    one gets the dedicated action named ``name``: on 4.4+ one action with a slot per ID (how Blender
    itself keys an object and its shape keys), on 4.2 one action per ID, the later ones suffixed
    with the ID's name because a 4.2 action belongs to one ID type.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.made: list[bpy.types.Action] = []

    def ensure(self, id_data: bpy.types.ID) -> Container:
        anim = id_data.animation_data or id_data.animation_data_create()  # type: ignore[attr-defined]  # stubs: per ID subclass
        action = anim.action
        if action is None:
            action = self._dedicated(id_data)
            anim.action = action
        elif action.get(ACTION_MARK) and action not in self.made:  # ours from an earlier apply
            wanted = self.name if SLOTTED else self._name_for(id_data, len(self.made))
            if action.name != wanted:
                action.name = wanted
            self.made.append(action)
        if not SLOTTED:
            return action
        if anim.action_slot is None:
            anim.action_slot = action.slots.new(id_type=id_data.id_type, name=id_data.name)
        layer = action.layers[0] if action.layers else action.layers.new("Layer")
        strip = cast("bpy.types.ActionKeyframeStrip",  # Blender 4.4+ (slotted actions)
                     layer.strips[0] if layer.strips else layer.strips.new(type="KEYFRAME"))
        return strip.channelbag(anim.action_slot, ensure=True)

    def _name_for(self, id_data: bpy.types.ID, index: int) -> str:
        return self.name if index == 0 else f"{self.name} [{id_data.name}]"

    def _dedicated(self, id_data: bpy.types.ID) -> bpy.types.Action:
        if SLOTTED and self.made:
            return self.made[0]
        action = bpy.data.actions.new(self._name_for(id_data, len(self.made)))
        action[ACTION_MARK] = True
        self.made.append(action)
        return action


def release(id_data: bpy.types.ID) -> None:
    """Unassign facs_rig's dedicated action from an ID it no longer animates, and delete it once
    nothing uses it. Actions facs_rig did not make, or that hold anyone else's curves, stay."""
    anim = id_data.animation_data  # type: ignore[attr-defined]  # stubs: per ID subclass
    action = anim.action if anim else None
    if action is None or not action.get(ACTION_MARK):
        return
    bag = container(id_data)
    if bag is not None and len(bag.fcurves):
        return
    anim.action = None
    if action.users == 0:
        bpy.data.actions.remove(action)


def user_curves(id_data: bpy.types.ID | None, paths: set[tuple[str, int]]) -> list[bpy.types.FCurve]:
    """The user's F-curves (outside :data:`GROUP`) on any of ``paths`` (data path, index; index -1
    for any index) in what ``id_data`` plays: a driver facs_rig adds there would silence them."""
    bag = container(id_data) if id_data is not None else None
    return [fc for fc in (bag.fcurves if bag is not None else [])
            if (fc.group is None or fc.group.name != GROUP)
            and ((fc.data_path, fc.array_index) in paths or (fc.data_path, -1) in paths)]


def group(bag: Container, name: str) -> bpy.types.ActionGroup:
    return bag.groups.get(name) or bag.groups.new(name)


def drop_empty_group(bag: Container, name: str) -> None:
    """4.2 keeps a group after its last F-curve goes; 4.4+ removes it itself."""
    grp = bag.groups.get(name)
    if grp is not None and not any(fc.group == grp for fc in bag.fcurves):
        bag.groups.remove(grp)


def new_fcurve(bag: Container, data_path: str, index: int, grp: bpy.types.ActionGroup) -> bpy.types.FCurve:
    # ``fcurves.new`` names the group differently in every version (action_group=, none, group_name=).
    fcurve = bag.fcurves.new(data_path, index=index)
    fcurve.group = grp
    return fcurve


def write_keys(fcurve: bpy.types.FCurve, keys: Keys, *, exact: bool = True) -> None:
    """All keys of a curve in one go: ``add`` then ``foreach_set`` per attribute, never key by key.

    ``exact`` writes handles (FREE, so Blender keeps them) and key types too; without it, for
    per-frame LINEAR samples that never use their handles, Blender computes default handles itself.
    """
    points = fcurve.keyframe_points
    if len(points):
        points.clear()
    n = len(keys)
    points.add(n)
    points.foreach_set("co", keys.co.astype(np.float32).ravel())
    points.foreach_set("interpolation", keys.interpolation.astype(np.int32))
    if exact:
        points.foreach_set("handle_left", keys.handle_left.astype(np.float32).ravel())
        points.foreach_set("handle_right", keys.handle_right.astype(np.float32).ravel())
        free = np.full(n, HANDLE_FREE, np.int32)
        points.foreach_set("handle_left_type", free)
        points.foreach_set("handle_right_type", free)
        points.foreach_set("type", keys.kind.astype(np.int32))
    fcurve.update()


def read_keys(fcurve: bpy.types.FCurve) -> Keys:
    points = fcurve.keyframe_points
    n = len(points)

    def pairs(attr: str) -> np.ndarray:
        buf = np.empty(2 * n, np.float32)
        points.foreach_get(attr, buf)
        return buf.reshape(n, 2).astype(np.float64)

    def ints(attr: str) -> np.ndarray:
        buf = np.empty(n, np.int32)
        points.foreach_get(attr, buf)
        return buf

    return Keys(pairs("co"), pairs("handle_left"), pairs("handle_right"), ints("interpolation"), ints("type"))
