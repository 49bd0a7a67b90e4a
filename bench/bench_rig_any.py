# SPDX-License-Identifier: GPL-3.0-or-later
"""``rig`` on heads without shapes (issue 13): accuracy against ground truth, and speed.

Accuracy: the default head in another identity (:data:`rig_truth.IDENTITY`), subdivided and
triangulated (other topology, about 22k vertices), its true shapes carried along exactly; the shapes
are stripped and generated again. Per shape: the correlation of the generated and the true
displacement fields on the skin, and the largest error over the face's width.
Targets: median correlation >= 0.8, none below 0.5.

Speed: the same head subdivided twice (about 90k vertices, denser than the 50k of the target)
rigged from scratch; the 22k head's time in the same process is the baseline the ratio is against.
The template (the default head's landmarks, measured once per process) is timed apart.
Target: under 10 s for a 50k-vertex head.

Folds: the stylised head, MediaPipe's canonical face and the head scan rigged; the triangles a
smile, a blink and a jaw drop turn over (skin folding through itself), and the jaw drop fitted as a
rigid turn.

Lids over proud eyes: the stylised test head (``tests/blender/heads.py``: separate eyeballs standing
half out of the skin) rigged; with both blinks at 1, rays from the front through each eyeball's
outline (within 0.9 of its radius): the share whose first hit is skin, not the ball.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "blender"))

import bpy
from heads import canonical_face_obj, head_scan, stylised_head
from mathutils import Vector
from mathutils.bvhtree import BVHTree
from rig_truth import compare, make_truth

from facs_rig.blender import rig_any, rig_files
from facs_rig.core.lids import fit_sphere

TARGET_SECONDS = 10.0


def _shapes(head: bpy.types.Object, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    blocks = head.data.shape_keys.key_blocks
    rest = np.empty(3 * len(head.data.vertices))
    blocks[0].data.foreach_get("co", rest)
    co = np.empty_like(rest)
    out = {}
    for name in names:
        blocks[name].data.foreach_get("co", co)
        out[name] = (co - rest).reshape(-1, 3)
    return out


def main() -> None:
    bpy.ops.wm.read_homefile(use_empty=True)
    start = time.perf_counter()
    rig_any.template()
    print(f"template (default head's landmarks, once per process): {time.perf_counter() - start:.2f} s")

    truth = make_truth(levels=1)
    vertices = len(truth.head.data.vertices)
    start = time.perf_counter()
    made = rig_any.generate_shapes(truth.head)
    baseline = time.perf_counter() - start
    scores = compare(truth, _shapes(truth.head, made.added))
    r = np.array([s[0] for s in scores.values()])
    e = np.array([s[1] for s in scores.values()])
    print(
        f"accuracy on {vertices} vertices, {len(scores)} shapes: median r {np.median(r):.3f} "
        f"(target >= 0.8), lowest {r.min():.3f} (target >= 0.5), median error {np.median(e):.3f} "
        f"of face width"
    )
    made_shapes = _shapes(truth.head, tuple(scores))
    amplitude = [
        np.linalg.norm(made_shapes[n][truth.skin]) / np.linalg.norm(truth.true[n][truth.skin]) for n in scores
    ]
    print(
        f"  amplitude (generated over true, on the skin): median {np.median(amplitude):.2f}, "
        f"5th-95th percentile {np.percentile(amplitude, 5):.2f}-{np.percentile(amplitude, 95):.2f}"
    )
    for name, (rr, ee) in sorted(scores.items(), key=lambda s: s[1][0])[:5]:
        print(f"  worst: {name:32s} r {rr:.3f}  error {ee:.3f}")

    bpy.ops.wm.read_homefile(use_empty=True)
    dense = make_truth(levels=2, shapes=False).head
    count = len(dense.data.vertices)
    start = time.perf_counter()
    rig_any.generate_shapes(dense)
    seconds = time.perf_counter() - start
    print(
        f"speed: {count} vertices rigged in {seconds:.2f} s (target < {TARGET_SECONDS:.0f} s for 50k); "
        f"{vertices} vertices in {baseline:.2f} s; ratio {seconds / baseline:.2f} for "
        f"{count / vertices:.1f}x the vertices"
    )

    with tempfile.TemporaryDirectory() as folder:
        folds: dict[str, tuple[dict[str, int], tuple[float, float]]] = {}
        cover: dict[str, float] = {}
        for name, head in rigged_test_heads(Path(folder)):
            folds[name] = (
                {shape: _turned_over(head, keys) for shape, keys in FOLD_SHAPES.items()},
                _jaw_turn(head),
            )
            if name == "stylised head":
                cover = lid_cover(head)
        print(
            "lids over proud eyes (share of each eyeball's front covered by skin): "
            + ", ".join(f"{name} {share:.0%}" for name, share in cover.items())
        )
        for name, (counts, (degrees, residual)) in folds.items():
            print(
                f"{name}: triangles turned over: "
                + ", ".join(f"{k} {v}" for k, v in counts.items())
                + f"; jaw drop as a turn: {degrees:.1f} degrees, rms residual {residual:.2f} of the mean move"
            )


def _world_tree(ob: bpy.types.Object, positions: np.ndarray) -> BVHTree:
    matrix = np.array(ob.matrix_world)
    world = positions @ matrix[:3, :3].T + matrix[:3, 3]
    polygons = [tuple(p.vertices) for p in ob.data.polygons]
    return BVHTree.FromPolygons(world.tolist(), polygons)


FOLD_SHAPES = {
    "smile": ("mouthSmileLeft", "mouthSmileRight"),
    "blink": ("eyeBlinkLeft", "eyeBlinkRight"),
    "jaw drop": ("jawOpen",),
}


def _turned_over(head: bpy.types.Object, keys: tuple[str, ...]) -> int:
    """How many triangles of ``head`` its ``keys`` (all at 1) turn over."""
    head.data.calc_loop_triangles()
    corners = np.empty(3 * len(head.data.loop_triangles), np.int32)
    head.data.loop_triangles.foreach_get("vertices", corners)
    a, b, c = corners.reshape(-1, 3).T
    rest = np.empty(3 * len(head.data.vertices))
    head.data.shape_keys.key_blocks[0].data.foreach_get("co", rest)
    rest = rest.reshape(-1, 3)
    posed = rest + sum(_shapes(head, keys).values())
    before = np.cross(rest[b] - rest[a], rest[c] - rest[a])
    after = np.cross(posed[b] - posed[a], posed[c] - posed[a])
    return int(((before * after).sum(1) < 0).sum())


def _jaw_turn(head: bpy.types.Object) -> tuple[float, float]:
    """``jawOpen`` on the vertices it moves by over 0.3 of its largest move, fitted as a rigid turn
    (Kabsch): the angle in degrees, and the rms residual over the mean move."""
    rest = np.empty(3 * len(head.data.vertices))
    head.data.shape_keys.key_blocks[0].data.foreach_get("co", rest)
    move = _shapes(head, ("jawOpen",))["jawOpen"]
    size = np.linalg.norm(move, axis=1)
    start = rest.reshape(-1, 3)[size > 0.3 * size.max()]
    end = start + move[size > 0.3 * size.max()]
    a, b = start - start.mean(0), end - end.mean(0)
    u, _, vt = np.linalg.svd(a.T @ b)
    turn = (u @ np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))]) @ vt).T
    residual = np.linalg.norm(a @ turn.T - b, axis=1)
    degrees = np.degrees(np.arccos(np.clip((np.trace(turn) - 1) / 2, -1.0, 1.0)))
    return float(degrees), float(np.sqrt((residual**2).mean()) / size[size > 0.3 * size.max()].mean())


def rigged_test_heads(folder: Path) -> Iterator[tuple[str, bpy.types.Object]]:
    """The test heads (the stylised head, MediaPipe's canonical face, the head scan), each rigged as
    ``rig`` does in a fresh file, their face meshes in turn: each is measured (:func:`_turned_over`,
    :func:`_jaw_turn`, :func:`lid_cover`) before the next replaces it. How many triangles each of
    :data:`FOLD_SHAPES` (its keys at 1) turns over counts skin folding through itself (the normal
    by more than 90 degrees, seen as a dark tear; the stylised head's jaw drop turns its chin's
    underside over, it has no neck)."""
    for name, path in (
        ("stylised head", stylised_head(folder / "folds.glb")),
        ("canonical face", canonical_face_obj(folder / "folds.obj")),
        ("head scan", head_scan(folder / "scan")),
    ):
        bpy.ops.wm.read_homefile(use_empty=True)
        opened = rig_files.open_avatar(str(path), "", generate=False)
        rig_any.generate_shapes(opened.mesh, opened.armature)
        yield name, opened.mesh


def lid_cover(head: bpy.types.Object) -> dict[str, float]:
    """Per eye of the rigged stylised head (``head`` its face mesh, its eyeballs ``Eye.L`` and
    ``Eye.R``): the share of rays from the front through the eyeball's outline that meet skin before
    the ball, with both blinks at 1 (``neutral`` and ``blink``)."""
    shapes = _shapes(head, ("eyeBlinkLeft", "eyeBlinkRight"))
    rest = np.empty(3 * len(head.data.vertices))
    head.data.shape_keys.key_blocks[0].data.foreach_get("co", rest)
    rest = rest.reshape(-1, 3)
    out = {}
    for pose, positions in (("neutral", rest), ("blink", rest + sum(shapes.values()))):
        skin = _world_tree(head, positions)
        for side in ("L", "R"):
            eye_ob = bpy.data.objects[f"Eye.{side}"]
            co = np.empty(3 * len(eye_ob.data.vertices))
            eye_ob.data.vertices.foreach_get("co", co)
            ball = _world_tree(eye_ob, co.reshape(-1, 3))
            matrix = np.array(eye_ob.matrix_world)
            eye = fit_sphere(co.reshape(-1, 3) @ matrix[:3, :3].T + matrix[:3, 3])
            steps = np.linspace(-0.9, 0.9, 19) * eye.radius
            covered = []
            for x in steps:
                for z in steps:
                    if x * x + z * z > (0.9 * eye.radius) ** 2:
                        continue
                    origin = Vector((eye.centre[0] + x, eye.centre[1] - 10 * eye.radius, eye.centre[2] + z))
                    on_skin = skin.ray_cast(origin, Vector((0.0, 1.0, 0.0)))[3]
                    on_ball = ball.ray_cast(origin, Vector((0.0, 1.0, 0.0)))[3]
                    covered.append(on_skin is not None and (on_ball is None or on_skin < on_ball))
            out[f"{pose} Eye.{side}"] = float(np.mean(covered))
    return out


if __name__ == "__main__":
    main()
