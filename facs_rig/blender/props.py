# SPDX-License-Identifier: GPL-3.0-or-later
"""The panel's state, saved with the .blend as ``scene.facs_rig``: which face it works on, what the
user typed and picked, and the last reports it shows. Add-on properties, so a file opened without
the add-on simply ignores them (the rig itself never reads them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import bpy

from ..core.catalogue import control_sort_key
from ..core.expressions import expression_info, expression_names
from ..core.intensity import LETTERS
from ..core.model import is_control_name
from ..io import FORMATS
from ..io.identity import MAX_SEED
from .identity_fields import add_macro_fields

if TYPE_CHECKING:
    from bpy.stub_internal.rna_enums import PropertyFlagItems

PATH_OPTIONS: set[PropertyFlagItems] = (
    {"PATH_SUPPORTS_BLEND_RELATIVE"} if bpy.app.version >= (5, 0, 0) else set())
"""The options of a path property (:func:`.ops_common.absolute_path` takes ``//`` paths): 5.0
warns about ``//`` paths in properties without this flag, which 4.2 does not know."""

SEVERITIES = (("ERROR", "Error", ""), ("WARNING", "Warning", ""), ("INFO", "Info", ""))
MODES = (("LIVE", "Live", "Keys on the AU controls; the rig's drivers move the face"),
         ("BAKE", "Bake", "Also per-frame curves on the shape keys and bones, drivers muted "
                          "(for export and the fastest playback)"))


class FACS_PG_report_line(bpy.types.PropertyGroup):
    """One line of a report the panel keeps showing (timeline validation, import summary)."""

    text: bpy.props.StringProperty()  # type: ignore[valid-type]
    severity: bpy.props.EnumProperty(items=SEVERITIES, default="INFO")  # type: ignore[valid-type]


def _expression_items() -> list[tuple[str, str, str]]:
    items = []
    for name in expression_names():
        info = expression_info(name)
        kind = "Prototype" if info.kind == "prototype" else "Social signal"
        items.append((name, info.label, f"{kind}: {info.code}" + (f". {info.note}" if info.note else "")))
    return items


class FACS_PG_settings(bpy.types.PropertyGroup):
    """Everything the FACS panel remembers per scene."""

    # No property here has a Python callback (poll, items, update, get/set): the 4.2 bpy module
    # crashes at exit once a PropertyGroup with one was registered, even after unregistering it.
    # So the preset is a name picked from a menu, which also keeps it stable when the user's preset
    # folder changes (a dynamic enum would store an index).
    target: bpy.props.PointerProperty(  # type: ignore[valid-type]
        name="Face", type=bpy.types.Object,
        description="Mesh the FACS panel works on; empty: the active object")
    preset: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Preset", default="auto",
        description="Mapping preset from AU controls to the mesh's shape keys and bones (auto: the best fit)")
    filter: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Filter", options={"TEXTEDIT_UPDATE"},
        description="Show only matching AUs: numbers (12, 1+2+4), names (brow) or regions (mouth)")
    expression: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Expression", description="Expression prototype or social signal", items=_expression_items())
    intensity: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Intensity", description="FACS intensity for AUs the expression or code gives no letter",
        items=[(letter, letter, f"Intensity {letter}") for letter in LETTERS], default="C")
    code: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="FACS Code", description="A FACS score such as 1+2+5B+26, R12A+R14A or G7D", default="")
    replace_pose: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Replace Pose", default=True,
        description="Set Pose puts every other AU control back to 0 (off: add to the current pose)")
    timeline_path: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Timeline", description="facs-timeline JSON file", subtype="FILE_PATH", options=PATH_OPTIONS)
    apply_mode: bpy.props.EnumProperty(name="Mode", items=MODES, default="LIVE")  # type: ignore[valid-type]
    timeline_checked: bpy.props.StringProperty(  # type: ignore[valid-type]
        description="The timeline path the report describes", options={"HIDDEN"})
    timeline_ok: bpy.props.BoolProperty(options={"HIDDEN"})  # type: ignore[valid-type]
    timeline_summary: bpy.props.StringProperty(options={"HIDDEN"})  # type: ignore[valid-type]
    timeline_report: bpy.props.CollectionProperty(type=FACS_PG_report_line)  # type: ignore[valid-type]
    import_format: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Format", description="What the file is (auto: read it to find out)",
        items=[("auto", "Auto", "Detect the format from the file's contents")]
        + [(f.id, f.label, f.description) for f in FORMATS])
    import_events: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="As Events", default=False,
        description="Turn the dense tracked curves into FACS events (onset, apex, offset)")
    import_min_confidence: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Min Confidence", default=0.8, min=0.0, max=1.0,
        description="Tracked frames below this confidence become gaps (OpenFace, py-feat)")
    import_fps: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Frame Rate", default=0.0, min=0.0, soft_max=240.0,
        description="Frame rate of files that store only frame numbers (0: the file's or the format's)")
    import_summary: bpy.props.StringProperty(options={"HIDDEN"})  # type: ignore[valid-type]
    import_report: bpy.props.CollectionProperty(type=FACS_PG_report_line)  # type: ignore[valid-type]
    render_folder: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Output Folder", subtype="DIR_PATH", default="//", options=PATH_OPTIONS,
        description="Folder the render buttons write to (// is the .blend file's folder)")
    render_labels: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="AU Labels", default=True,
        description="Write each rendered frame's AU values as a CSV beside the animation")
    atlas_levels: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Levels", default="A,C,E", description="Intensity letters the atlas shows, e.g. A,C,E")
    atlas_tile: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Tile Size", default=256, min=32, max=2048, description="Width of each atlas face in pixels")
    # The next FACS Head's identity (Avatar section; passed to Add FACS Head); the macro fields
    # ``identity_gender`` ... are added below the class (add_macro_fields).
    identity_random: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Random Identity", default=False,
        description="Add a seeded random person (random:SEED) instead of the fields above")
    identity_seed: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Seed", description="Seed of the random identity: the same seed gives the same person",
        min=0, max=min(MAX_SEED, 2**31 - 1), default=0)


add_macro_fields(FACS_PG_settings, "identity_")


def attach() -> None:
    """Give every scene its ``facs_rig`` state (the PropertyGroup must be registered already).

    Called from the main panel's ``register``: a ``register`` classmethod on the PropertyGroup itself
    makes the 4.2 bpy module crash at exit.
    """
    bpy.types.Scene.facs_rig = bpy.props.PointerProperty(  # type: ignore[attr-defined,func-returns-value]
        type=FACS_PG_settings)


def detach() -> None:
    del bpy.types.Scene.facs_rig  # type: ignore[attr-defined]


def settings(context: bpy.types.Context) -> FACS_PG_settings | None:
    """The scene's panel state (None only while the add-on is being unregistered)."""
    return getattr(context.scene, "facs_rig", None) if context.scene else None


def face(context: bpy.types.Context) -> bpy.types.Object | None:
    """The object the panel works on: the chosen face while it is in the scene, else the active one."""
    state = settings(context)
    target = state.target if state is not None else None
    if target is not None and context.scene.objects.get(target.name) == target:
        return target
    return context.active_object


def face_controls(obj: bpy.types.Object | None) -> list[str]:
    """The AU controls on ``obj`` that hold numbers, in catalogue order (``AU01_L`` ... ``AU64``)."""
    if obj is None:
        return []
    names = [k for k in list(obj.keys()) if is_control_name(k) and isinstance(obj[k], int | float)]
    return sorted(names, key=control_sort_key)


def set_report(lines: Any, entries: Iterable[tuple[str, str]]) -> None:
    """Replace a report collection's lines with ``(severity, text)`` pairs."""
    lines.clear()
    for severity, text in entries:
        line = lines.add()
        line.severity, line.text = severity, text


CLASSES = (FACS_PG_report_line, FACS_PG_settings)
