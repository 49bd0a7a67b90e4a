# SPDX-License-Identifier: GPL-3.0-or-later
"""Live: drive the face's AU controls from a live source, record takes, and key them on Stop.

The session (:mod:`..live`) receives on its own thread; a timer registered at run time
(``bpy.app.timers``, never saved in the .blend) takes the newest frame and writes it to the rig's
AU controls (custom properties), so the UI never waits on the network. The rig itself stays
plain: nothing of this is needed to play the keys Stop writes. Headless Blender runs no timers;
tests call :func:`tick` directly.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import bpy

from ..core.errors import FacsError
from ..core.mapping.matching import name_key
from ..core.model import Timeline
from ..live import KINDS, Options, Session, Source, Status, check_available, controls_of
from . import keyframer
from .ops_common import (
    OpStatus,
    absolute_path,
    attempt,
    finish,
    poll_face_controls,
    refuse_unless,
    save_timeline,
)
from .props import PATH_OPTIONS, face

INTERVAL = 1 / 120
"""Seconds between timer ticks: twice the rate of the fastest phone source."""
IDLE_REDRAW = 0.25
"""Seconds between redraws of the viewports while no frame comes in (for the panel's counters and
"no data"); a new frame redraws at once."""
SOURCES = [(kind, label, f"{label} ({'a video file' if kind == 'video' else f'default port {port}'})")
           for kind, (label, port) in KINDS.items()]
_GAIN = re.compile(r"\s*(?:AU)?(\d{1,2})\s*[=:]\s*([0-9.]+)\s*")


class FACS_PG_live(bpy.types.PropertyGroup):
    """The Live section's settings, saved with the scene as ``scene.facs_rig_live`` (no callbacks:
    see props.py)."""

    source: bpy.props.EnumProperty(name="Source", items=SOURCES, default="llf")  # type: ignore[valid-type]
    host: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Address", default="0.0.0.0",
        description="Address to listen on (0.0.0.0: every network); FACSvatar: its publisher's address")
    port: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Port", default=0, min=0, max=65535, description="0: the source's default port")
    video: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Video", subtype="FILE_PATH", options=PATH_OPTIONS,
        description="Video file the face reader plays at its own rate")
    smoothing: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Smoothing", description="One Euro filter: removes jitter at rest, keeps fast movements")
    mirror: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Mirror", description="Swap the performer's left and right")
    passthrough: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Passthrough",
        description="Also write the ARKit weights 1:1 to shape keys of the same names that no driver moves")
    gains: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Gains", description="Per-AU gain after the neutral is subtracted, e.g. 12=1.5 26=0.8")
    events: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="As Events", description="Stop cuts the take into FACS events (else dense tracks)")
    take_path: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Save Take", subtype="FILE_PATH", options=PATH_OPTIONS,
        description="Also save the recorded take as a timeline JSON here (empty: keep it only as keys)")


def live_settings(context: bpy.types.Context) -> FACS_PG_live | None:
    return getattr(context.scene, "facs_rig_live", None) if context.scene else None


def parse_gains(text: str) -> dict[int, float]:
    """``12=1.5 26:0.8`` → ``{12: 1.5, 26: 0.8}``."""
    gains = {}
    for item in filter(None, re.split(r"[,;\s]+(?=(?:AU)?\d)", text.strip())):
        match = _GAIN.fullmatch(item)
        if match is None:
            raise FacsError(f"gain {item!r} is not AU=FACTOR (e.g. 12=1.5)")
        gains[int(match[1])] = float(match[2])
    return gains


@dataclass
class LiveRig:
    """What runs: the session and the face it writes to."""

    session: Session
    object_name: str
    targets: list[tuple[str, ...]] = field(default_factory=list)
    """Per processor key, the face's controls it writes (refreshed when keys are added)."""
    shape_keys: list[tuple[int, str]] = field(default_factory=list)
    """Passthrough: (source column, key block name) for undriven shape keys of the same name."""
    redrawn: float = 0.0
    """``time.perf_counter()`` of the last redraw the timer asked for."""


class _Running:
    """The one session of this Blender (a module attribute, not a global statement)."""

    live: LiveRig | None = None


_running = _Running()


def current() -> LiveRig | None:
    return _running.live


def source_problem(kind: str) -> str | None:
    """Why a source cannot run in this Blender (its library, or the face reader, is missing), or
    None; cheap enough for each redraw of the panel."""
    try:
        check_available(kind)
    except FacsError as exc:
        return str(exc)
    return None


def status() -> Status | None:
    return _running.live.session.status() if _running.live is not None else None


def _options(state: FACS_PG_live) -> Options:
    return Options(smoothing=state.smoothing, mirror=state.mirror, gains=parse_gains(state.gains))


def _passthrough_keys(obj: bpy.types.Object, names: tuple[str, ...] | None) -> list[tuple[int, str]]:
    key = cast(bpy.types.Mesh, obj.data).shape_keys if obj.type == "MESH" else None
    if key is None or not names:
        return []
    driven = {d.data_path for d in key.animation_data.drivers} if key.animation_data else set()
    blocks = {name_key(b.name): b.name for b in key.key_blocks}
    found = [(i, blocks[name_key(n)]) for i, n in enumerate(names) if name_key(n) in blocks]
    return [(i, b) for i, b in found if f'key_blocks["{bpy.utils.escape_identifier(b)}"].value' not in driven]


def tick() -> float | None:
    """The timer: write the newest frame to the face; keeps running while a session does."""
    live = _running.live
    if live is None:
        return None
    obj: bpy.types.Object | None = bpy.data.objects.get(live.object_name)
    values = live.session.poll()
    if obj is None:
        return INTERVAL
    if values is not None:
        keys = live.session.processor.keys
        if len(live.targets) != len(keys):
            present = set(obj.keys())
            live.targets = [tuple(c for c in controls_of(k) if c in present) for k in keys]
        for value, controls in zip(values, live.targets, strict=True):
            for control in controls:
                obj[control] = float(value)
        shapes = live.session.shapes
        if live.shape_keys and shapes is not None:
            blocks = cast(bpy.types.Mesh, obj.data).shape_keys.key_blocks
            for column, name in live.shape_keys:
                blocks[name].value = float(shapes[column])
        obj.update_tag()
        live.session.applied()
    now = time.perf_counter()
    if values is not None or now - live.redrawn >= IDLE_REDRAW:  # not 120 redraws a second of nothing new
        live.redrawn = now
        for window in getattr(bpy.context.window_manager, "windows", []):
            for area in window.screen.areas:
                if area.type == "VIEW_3D":
                    area.tag_redraw()
    return INTERVAL


def stop_session() -> None:
    """Stop what runs (the timer then ends itself)."""
    live, _running.live = _running.live, None
    if live is not None:
        live.session.stop()
        if bpy.app.timers.is_registered(tick):
            bpy.app.timers.unregister(tick)


class FACS_OT_live_start(bpy.types.Operator):
    """Start receiving the live source and driving the face's AU controls"""

    bl_idname = "facs.live_start"
    bl_label = "Start Live"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if not refuse_unless(cls, _running.live is None, "Live is running: stop it first"):
            return False
        state, obj = live_settings(context), face(context)
        if state is not None and state.passthrough and obj is not None and obj.type == "MESH":
            return refuse_unless(cls, cast(bpy.types.Mesh, obj.data).shape_keys is not None,
                                 "Passthrough needs a face with shape keys")
        return poll_face_controls(cls, context)

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        state = live_settings(context)
        obj = face(context)

        def work(_progress: object) -> Session:
            if state.source == "video":
                source = Source("video", path=absolute_path(state.video))
            else:
                source = Source(state.source, state.host, state.port or KINDS[state.source][1])
            session = Session(source, options=_options(state), passthrough=state.passthrough)
            session.start()
            return session

        session = attempt(self, context, work)
        if session is None:
            return {"CANCELLED"}
        live = _running.live = LiveRig(session, obj.name)
        if state.passthrough:
            live.shape_keys = _passthrough_keys(obj, session.receiver.decoder.shape_names)
        bpy.app.timers.register(tick, first_interval=INTERVAL)
        return finish(self, [], f"Live: {session.label} on {session.source}, driving {obj.name}")


def _save_take(timeline: Timeline, path: str, source: Source) -> list[Path]:
    """Write the take as ``facs_rig live --record`` does (:func:`.ops_common.save_timeline`); the
    video a video source plays is an input it may not overwrite. The files written."""
    return save_timeline(path, "Save Take", lambda _target: timeline, {"video": source.path})[1]


class FACS_OT_live_stop(bpy.types.Operator):
    """Stop the live source; a recorded take becomes animation on the face (undoable)"""

    bl_idname = "facs.live_stop"
    bl_label = "Stop Live"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return refuse_unless(cls, _running.live is not None, "Live is not running")

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        state = live_settings(context)
        live = _running.live
        assert live is not None
        obj: bpy.types.Object | None = bpy.data.objects.get(live.object_name)
        take = live.session.take
        if take is None or not len(take) or obj is None:
            stop_session()
            return finish(self, [], f"Live stopped: {live.session.status().line()}")
        timeline = live.session.take_timeline(name="live take", events=state.events)
        saved: list[Path] | None = []
        if state.take_path:  # saved while Live still runs: a take that cannot be saved is not lost
            saved = attempt(self, context, lambda _progress: _save_take(timeline, state.take_path,
                                                                        live.session.source),
                            describe=lambda exc: f"{exc} (Live keeps running and recording: "
                                                 "choose another Save Take path and stop again)")
        if saved is None:
            return {"CANCELLED"}
        stop_session()
        result = attempt(self, context, lambda progress: keyframer.apply_timeline(
            obj, timeline, mode="LIVE", scene=context.scene, set_scene_range=True))
        if result is None:
            return {"CANCELLED"}
        where = f"; saved as {', '.join(path.name for path in saved)}" if saved else ""
        return finish(self, result.warnings, f"Live take of {len(take)} frames keyed on {obj.name}: "
                      f"{result.summary()}{where}")


class FACS_OT_live_record(bpy.types.Operator):
    """Record the live source from now on; Stop keys the take"""

    bl_idname = "facs.live_record"
    bl_label = "Record"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return refuse_unless(cls, _running.live is not None, "Start Live first")

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        assert _running.live is not None
        _running.live.session.record()
        return finish(self, [], "Recording: Stop keys the take on the face")


class FACS_OT_live_calibrate(bpy.types.Operator):
    """Take the current face as neutral: it is subtracted from every frame after (also applies the gains)"""

    bl_idname = "facs.live_calibrate"
    bl_label = "Capture Neutral"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        live = _running.live
        return refuse_unless(cls, live is not None and live.session.last_frame is not None,
                             "Start Live and let a frame arrive first")

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        live = _running.live
        assert live is not None

        def work(_progress: object) -> bool:
            live.session.processor.set_options(_options(live_settings(context)))  # bad gains: refused
            live.session.processor.capture_neutral()
            return True

        if attempt(self, context, work) is None:
            return {"CANCELLED"}
        return finish(self, [], "Neutral captured")


CLASSES = (FACS_PG_live, FACS_OT_live_start, FACS_OT_live_stop, FACS_OT_live_record, FACS_OT_live_calibrate)
