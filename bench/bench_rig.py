# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-frame cost of the rigged default head against the same motion baked to shape-key curves.

Rigged: every AU control is animated (one F-curve per control on the object) and the rig's
drivers turn the controls into shape-key values and bone angles. Baked: the driver outputs,
computed by the reference evaluator, keyed per frame on the shape keys and bones directly, with
no rig. Both play the same frames with ``scene.frame_set``, which evaluates animation, drivers,
shape keys and the armature deform exactly as playback and rendering do.
Target (issue 5): the rig costs at most 1.5x the baked version.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bpy

from facs_rig.blender import anim_compat, avatar, rig
from facs_rig.core.keys import LINEAR, Keys
from facs_rig.core.mapping.evaluate import evaluate_targets

FRAMES = 240
PASSES = 5
TARGET_RATIO = 1.5


def motion(controls: list[str], seed: int = 5) -> dict[str, np.ndarray]:
    """Smooth, sparse AU curves: each control rises and falls a few times, mostly at rest."""
    rng = np.random.default_rng(seed)
    t = np.arange(FRAMES, dtype=float)
    out = {}
    for control in controls:
        value = np.zeros(FRAMES)
        for _ in range(3):
            centre, width = rng.uniform(0, FRAMES), rng.uniform(8, 40)
            value = np.maximum(value, rng.uniform(0.2, 1.0) * np.exp(-(((t - centre) / width) ** 2)))
        out[control] = value
    return out


def key_curve(maker: anim_compat.ActionMaker, id_data: bpy.types.ID, path: str, index: int,
              values: np.ndarray) -> None:
    bag = maker.ensure(id_data)
    co = np.column_stack([np.arange(1, FRAMES + 1, dtype=float), values])
    keys = Keys(co, co.copy(), co.copy(), np.full(FRAMES, LINEAR, np.int32), np.zeros(FRAMES, np.int32))
    anim_compat.write_keys(anim_compat.new_fcurve(bag, path, index, anim_compat.group(bag, "bench")), keys)


def play() -> float:
    """Seconds per frame for playing all frames, best of several passes."""
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, FRAMES
    best = float("inf")
    for _ in range(PASSES):
        scene.frame_set(FRAMES)
        start = time.perf_counter()
        for frame in range(1, FRAMES + 1):
            scene.frame_set(frame)
        best = min(best, (time.perf_counter() - start) / FRAMES)
    return best


def setup(baked: bool) -> tuple[int, int]:
    """A fresh file with the default head, rigged and animated, or with the motion baked."""
    bpy.ops.wm.read_homefile(use_empty=True)
    head = avatar.create_default_avatar(studio=False)
    report = rig.build_rig(head.mesh, "makehuman")
    resolved, _ = rig.resolve_for(head.mesh, "makehuman", head.rig)
    values = motion(report.controls)
    maker = anim_compat.ActionMaker("bench")
    if not baked:
        for control, curve in values.items():
            key_curve(maker, head.mesh, f'["{control}"]', 0, curve)
        return len(values), report.drivers
    targets = evaluate_targets(resolved, values)
    rig.remove_rig(head.mesh)
    curves = 0
    for key, curve in targets.items():
        if not np.any(curve):
            continue
        kind, rest = key.split(":", 1)
        if kind == "shape":
            name = bpy.utils.escape_identifier(rest)
            key_curve(maker, head.mesh.data.shape_keys, f'key_blocks["{name}"].value', 0, curve)
        else:
            bone, index = rest.rsplit(":", 1)
            head.rig.pose.bones[bone].rotation_mode = resolved.bone_orders[bone]
            name = bpy.utils.escape_identifier(bone)
            key_curve(maker, head.rig, f'pose.bones["{name}"].rotation_euler', int(index), curve)
        curves += 1
    return curves, 0


def main() -> int:
    curves, drivers = setup(baked=False)
    rigged = play()
    print(f"rigged: {curves} control curves, {drivers} drivers: {rigged * 1e3:.3f} ms/frame")
    curves, _ = setup(baked=True)
    baked = play()
    print(f"baked:  {curves} shape-key and bone curves, no drivers: {baked * 1e3:.3f} ms/frame")
    ratio = rigged / baked
    verdict = "ok" if ratio <= TARGET_RATIO else "TOO SLOW"
    print(f"ratio rigged/baked: {ratio:.2f} (target <= {TARGET_RATIO}) {verdict}")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
