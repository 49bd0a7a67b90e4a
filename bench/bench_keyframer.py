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

import bpy

from facs_rig.blender import keyframer
from facs_rig.blender.avatar import create_default_avatar
from facs_rig.blender.rig import build_rig
from facs_rig.core.catalogue import get_au
from facs_rig.core.key_plan import plan_timeline
from facs_rig.core.model import Event, Timeline, parse_control_name

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
        rise, fall = rng.uniform(0.08, 0.8), rng.uniform(0.1, 1.0)
        hold = rng.choice([0.0, rng.uniform(0.1, 1.5)])
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
    parser.add_argument("--naive-frames", type=int, default=1200,
                        help="frames the naive way really runs (default: the first 20 s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of live and bake; the best counts")
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

    def best_of(mode: str) -> tuple[float, keyframer.ApplyResult]:
        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = keyframer.apply_timeline(mesh, timeline, mode=mode, set_scene_range=True)
            runs.append(time.perf_counter() - start)
        return min(runs), result

    t_live, live = best_of("LIVE")
    print(f"live: {t_live:.3f} s, best of {args.repeat}  ({live.summary()})")
    t_bake, bake = best_of("BAKE")
    print(f"bake: {t_bake:.3f} s, best of {args.repeat}  ({bake.summary()})")

    # The naive way, on the same per-frame values, with the drivers muted as bake leaves them.
    plan = plan_timeline(timeline, float(FPS), float(scene.frame_start))
    baked = keyframer.bake_targets(mesh, plan)  # the values bake wrote, computed the same way
    keyframer.clear_animation(mesh)
    for anim in (mesh.data.shape_keys.animation_data, rig.animation_data):
        for driver in anim.drivers if anim else []:
            driver.mute = True
    total = len(plan.frames)
    n = min(args.naive_frames, total)
    small = max(n // 4, 1)
    t_small = naive_bake(mesh, rig, baked, plan.frames[:small])
    keyframer.clear_animation(mesh)
    for anim in (mesh.data.shape_keys.animation_data, rig.animation_data):  # start the curves afresh
        if anim and anim.action:
            anim.action = None
    t_part = naive_bake(mesh, rig, baked, plan.frames[:n])
    per_key = [1e6 * t / (f * len(baked)) for t, f in ((t_small, small), (t_part, n))]
    t_naive = t_part * total / n
    print(f"naive keyframe_insert ({len(baked)} targets): {t_small:.3f} s for the first {small} frames "
          f"({per_key[0]:.1f} us/key), {t_part:.3f} s for the first {n} ({per_key[1]:.1f} us/key)")
    print(f"naive, extrapolated linearly from {n} to all {total} frames: {t_naive:.1f} s "
          "(a lower bound: its cost per key grows with the curve's length, as the two runs show)")
    ratio = t_naive / t_bake
    print(f"bake is {ratio:.0f}x faster than the naive way (target: {TARGET_RATIO:.0f}x); "
          f"live is {t_naive / t_live:.0f}x faster")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
