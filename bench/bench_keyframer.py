# SPDX-License-Identifier: GPL-3.0-or-later
"""Keyframer speed: a 10-minute, 60 fps timeline with 2,000 events over 30 AUs on the default head.

Applies it in live and bake mode, then bakes the same per-frame target values the naive way
(``keyframe_insert`` per frame per target) in the same process and prints both times and the
ratio. The naive way runs on the first frames only and is extrapolated linearly to the whole
timeline (it would take minutes); linear extrapolation flatters it, since inserting into a growing
curve gets slower, so the printed ratio is a lower bound.

Run: ``.venv/bin/python bench/bench_keyframer.py`` (``--naive-frames N`` to measure more frames).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bpy  # noqa: E402

from facs_rig.blender import keyframer  # noqa: E402
from facs_rig.blender.avatar import create_default_avatar  # noqa: E402
from facs_rig.blender.rig import build_rig  # noqa: E402
from facs_rig.core.catalogue import get_au  # noqa: E402
from facs_rig.core.keys import plan_timeline  # noqa: E402
from facs_rig.core.model import Event, Timeline, parse_control_name  # noqa: E402

FPS = 60
MINUTES = 10
EVENTS = 2000
AUS = 30
TARGET_RATIO = 100.0


def make_timeline(aus: list[int], seed: int = 7) -> Timeline:
    """Random but reproducible events: both eases, sides, holds, and some overlaps on one AU."""
    rng = np.random.default_rng(seed)
    duration = MINUTES * 60.0
    events = []
    for _ in range(EVENTS):
        au = int(rng.choice(aus))
        sides = ("both", *get_au(au).sides)
        onset = float(rng.uniform(0.0, duration - 4.0))
        rise, hold, fall = rng.uniform(0.08, 0.8), rng.choice([0.0, rng.uniform(0.1, 1.5)]), rng.uniform(0.1, 1.0)
        events.append(Event(au, float(rng.uniform(0.2, 1.0)), onset, onset + rise, onset + rise + hold,
                            onset + rise + hold + fall, side=str(rng.choice(sides)),  # type: ignore[arg-type]
                            ease=str(rng.choice(["smooth", "linear"]))))  # type: ignore[arg-type]
    events.sort(key=lambda e: e.onset)
    return Timeline(events=events, fps=FPS, name="bench")


def naive_bake(mesh: bpy.types.Object, rig: bpy.types.Object, baked: list, frames: np.ndarray) -> float:
    """``keyframe_insert`` for every target at every frame of ``frames``; returns seconds."""
    key = mesh.data.shape_keys
    steps = []
    for b in baked:
        if b.id_data == key:
            owner, prop = key.path_resolve(b.data_path.rsplit(".", 1)[0]), "value"
        else:
            owner, prop = rig.path_resolve(b.data_path.rsplit(".", 1)[0]), "rotation_euler"
        steps.append((owner, prop, b.index, b.values))
    start = time.perf_counter()
    for i, frame in enumerate(frames):
        for owner, prop, index, values in steps:
            if prop == "value":
                owner.value = values[i]
                owner.keyframe_insert(prop, frame=frame)
            else:
                getattr(owner, prop)[index] = values[i]
                owner.keyframe_insert(prop, index=index, frame=frame)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naive-frames", type=int, default=600, help="frames the naive way really runs")
    args = parser.parse_args()

    bpy.ops.wm.read_homefile(use_empty=True)
    avatar = create_default_avatar(studio=False)
    mesh, rig = avatar.mesh, avatar.rig
    report = build_rig(mesh, "auto")
    aus = sorted({parse_control_name(c)[0] for c in report.controls})[:AUS]
    timeline = make_timeline(aus)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = FPS, 1.0
    print(f"bpy {bpy.app.version_string}; timeline: {len(timeline.events)} events over {len(aus)} AUs, "
          f"{MINUTES} min at {FPS} fps; rig: {report.preset}, {len(report.controls)} controls")

    start = time.perf_counter()
    live = keyframer.apply_timeline(mesh, timeline, mode="LIVE", set_scene_range=True)
    t_live = time.perf_counter() - start
    print(f"live: {t_live:.3f} s  ({live.summary()})")

    start = time.perf_counter()
    bake = keyframer.apply_timeline(mesh, timeline, mode="BAKE", set_scene_range=True)
    t_bake = time.perf_counter() - start
    print(f"bake: {t_bake:.3f} s  ({bake.summary()})")

    # The naive way, on the same per-frame values, with the drivers muted as bake leaves them.
    plan = plan_timeline(timeline, float(FPS), float(scene.frame_start))
    baked = keyframer._bake_targets(mesh, plan)  # the values bake wrote, computed the same way
    keyframer.clear_animation(mesh)
    for anim in (mesh.data.shape_keys.animation_data, rig.animation_data):
        for driver in anim.drivers if anim else []:
            driver.mute = True
    n = min(args.naive_frames, len(plan.frames))
    t_part = naive_bake(mesh, rig, baked, plan.frames[:n])
    t_naive = t_part * len(plan.frames) / n
    print(f"naive keyframe_insert: {t_part:.3f} s for {n} of {len(plan.frames)} frames x {len(baked)} targets "
          f"-> {t_naive:.1f} s extrapolated linearly to the whole timeline")
    ratio = t_naive / t_bake
    print(f"bake is {ratio:.0f}x faster than the naive way (target: {TARGET_RATIO:.0f}x); "
          f"live is {t_naive / t_live:.0f}x faster")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
