# SPDX-License-Identifier: GPL-3.0-or-later
"""Converting a 10-minute, 30 fps OpenFace CSV (18 000 rows x 714 columns, about 90 MB).

The take is the real OpenFace sample from ../shared/data repeated, with frame numbers and
timestamps rewritten to 30 fps (a synthetic file of the same shape when the sample is absent).
Measured in one process: the whole ``convert`` command (read, check, write the timeline JSON),
with and without ``--events``, and the CSV reading alone against a baseline that reads the same
file with Python's csv module row by row, converting the same columns to float.
Target (issue 9): convert under 5 s on this machine.

Scale (issue 17): an OpenFace CSV of the columns ``FeatureExtraction -aus -pose -gaze`` writes
(about 300 bytes a row) at 100 000 and at 1 000 000 rows, each converted to dense tracks in a fresh
process that reports its own time and peak RSS (``VmHWM``); printed: the time ratio
against the ten times smaller take (linear is 10x, the target is per-row time within a few times),
and peak memory above an idle process's as a multiple of the file size. A million rows become
dense tracks well over the 64 MiB timeline limit, so this also measures writing the parts.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facs_rig.cli import main
from facs_rig.io import openface
from facs_rig.io.table import read_table
from facs_rig.paths import ROOT

SAMPLE = ROOT.parent / "shared" / "data" / "openface2_demo_25fps.csv"
FPS = 30
MINUTES = 10
TARGET_SECONDS = 5.0
RUNS = 3
SCALE_ROWS = (100_000, 1_000_000)
SCALE_COLUMNS = ("frame", "face_id", "timestamp", "confidence", "success", "gaze_angle_x", "gaze_angle_y",
                 "pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz")
PER_ROW_TARGET = 3.0
"""A million rows may take at most this many times as long per row as 100 000."""
MEMORY_TARGET = 6.0
"""Peak memory above an idle process, as a multiple of the input file's size."""
CHILD = """
import json, resource, sys, time
from pathlib import Path
from facs_rig.cli import build_parser, main
build_parser()
start = time.perf_counter()
status = main(sys.argv[1:]) if len(sys.argv) > 1 else 0
status_file = Path("/proc/self/status")
peak = (int(next(l for l in status_file.read_text().splitlines() if l.startswith("VmHWM:")).split()[1])
        if status_file.exists() else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024
print(json.dumps({"status": status, "seconds": time.perf_counter() - start, "peak_bytes": peak}))
"""
"""Linux's ``VmHWM`` is the peak of this process alone; ``ru_maxrss`` survives ``exec`` and would
start from the parent's size."""


def openface_rows() -> tuple[str, list[list[str]]]:
    """Header and data rows of the real sample, or of a synthetic file with OpenFace's columns."""
    if SAMPLE.exists():
        lines = SAMPLE.read_text().splitlines()
        return lines[0], [line.split(", ") for line in lines[1:]]
    print(f"({SAMPLE} not found: using a synthetic OpenFace-shaped file)")
    names = ["frame", "face_id", "timestamp", "confidence", "success"]
    names += [f"gaze_{e}_{a}" for e in (0, 1) for a in "xyz"] + ["gaze_angle_x", "gaze_angle_y"]
    names += [f"eye_lmk_{a}_{i}" for a in ("x", "y", "X", "Y", "Z") for i in range(56)]
    names += [f"pose_{a}" for a in ("Tx", "Ty", "Tz", "Rx", "Ry", "Rz")]
    names += [f"{a}_{i}" for a in ("x", "y", "X", "Y", "Z") for i in range(68)]
    names += [f"p_{a}" for a in ("scale", "rx", "ry", "rz", "tx", "ty")] + [f"p_{i}" for i in range(34)]
    aus = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45)
    names += [f"AU{a:02d}_r" for a in aus] + [f"AU{a:02d}_c" for a in (*aus[:-1], 28, 45)]
    rng = np.random.default_rng(0)
    rows = [[f"{v:.3f}" for v in rng.random(len(names))] for _ in range(500)]
    return ", ".join(names), rows


def write_take(path: Path) -> int:
    header, rows = openface_rows()
    names = [n.strip() for n in header.split(",")]
    frame_col, time_col = names.index("frame"), names.index("timestamp")
    count = MINUTES * 60 * FPS
    with path.open("w") as fh:
        fh.write(header + "\n")
        for i in range(count):
            row = list(rows[i % len(rows)])
            row[frame_col], row[time_col] = str(i + 1), f"{i / FPS:.3f}"
            fh.write(", ".join(row) + "\n")
    return count


def best_of(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def convert(source: Path, target: Path, *extra: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        status = main(["convert", str(source), "-o", str(target), *extra])
    if status != 0:
        raise SystemExit(f"convert failed with status {status}")


def columns_wanted(names: list[str]) -> list[str]:
    keep = ("timestamp", "face_id", "confidence", "success", "gaze_angle_x", "gaze_angle_y",
            "pose_Rx", "pose_Ry", "pose_Rz")
    return [n for n in names if n in keep or (n.startswith("AU") and n.endswith("_r"))]


def parse_numpy(path: Path) -> np.ndarray:
    table = read_table(path, max_bytes=openface.MAX_BYTES)
    return table.numbers(columns_wanted(table.names))


def parse_csv_module(path: Path) -> np.ndarray:
    with path.open(newline="") as fh:
        reader = csv.reader(fh, skipinitialspace=True)
        names = next(reader)
        idx = [names.index(n) for n in columns_wanted(names)]
        return np.array([[float(row[i]) for i in idx] for row in reader])


def write_narrow_take(path: Path, rows: int) -> None:
    """AU, pose and gaze columns only (``FeatureExtraction -aus -pose -gaze``), the real sample's
    values repeated, at 30 fps; written in blocks so the generator stays small."""
    header, sample = openface_rows()
    names = [n.strip() for n in header.split(",")]
    keep = [i for i, n in enumerate(names) if n in SCALE_COLUMNS or n.startswith("AU")]
    frame_col, time_col = names.index("frame"), names.index("timestamp")
    with path.open("w") as fh:
        fh.write(", ".join(names[i] for i in keep) + "\n")
        for block in range(0, rows, 10_000):
            lines = []
            for i in range(block, min(rows, block + 10_000)):
                row = list(sample[i % len(sample)])
                row[frame_col], row[time_col] = str(i + 1), f"{i / FPS:.3f}"
                lines.append(", ".join(row[c].strip() for c in keep))
            fh.write("\n".join(lines) + "\n")


def in_child(*argv: str) -> dict[str, float]:
    """Run ``python -m facs_rig argv`` in a fresh process: its time and peak RSS."""
    done = subprocess.run([sys.executable, "-c", CHILD, *argv], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["status"] != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {result['status']}")
    return result


def scale(tmp: Path) -> bool:
    idle = in_child()["peak_bytes"]
    print(f"\nscale: idle process {idle / 1e6:.0f} MB")
    measured = {}
    for rows in SCALE_ROWS:
        source, target = tmp / f"narrow_{rows}.csv", tmp / "parts" / f"narrow_{rows}.json"
        target.parent.mkdir(exist_ok=True)
        write_narrow_take(source, rows)
        size = source.stat().st_size
        run = in_child("convert", str(source), "-o", str(target), "-q")
        parts = sorted(target.parent.glob(f"narrow_{rows}*.json"))
        written = sum(p.stat().st_size for p in parts)
        memory = (run["peak_bytes"] - idle) / size
        print(f"{rows:>9,} rows, {size / 1e6:5.0f} MB: {run['seconds']:6.1f} s, peak RSS "
              f"{run['peak_bytes'] / 1e6:5.0f} MB ({memory:.1f}x the file above idle), {len(parts)} "
              f"timeline(s), {written / 1e6:.0f} MB")
        measured[rows] = (run["seconds"], memory)
        for p in parts:
            p.unlink()
        source.unlink()
    (small, _), (large, memory) = measured[SCALE_ROWS[0]], measured[SCALE_ROWS[1]]
    ratio = large / small
    per_row = ratio * SCALE_ROWS[0] / SCALE_ROWS[1]
    print(f"time ratio {SCALE_ROWS[1]:,} / {SCALE_ROWS[0]:,} rows: {ratio:.1f}x (per row {per_row:.2f}x, "
          f"target < {PER_ROW_TARGET:g}x); peak memory {memory:.1f}x the file (target < {MEMORY_TARGET:g}x)")
    return per_row < PER_ROW_TARGET and memory < MEMORY_TARGET


def run() -> int:
    with tempfile.TemporaryDirectory(prefix="facs_bench_convert_") as tmp:
        source, target = Path(tmp) / "take_10min.csv", Path(tmp) / "take.json"
        rows = write_take(source)
        size = source.stat().st_size / 1e6
        print(f"input: {rows} rows at {FPS} fps ({MINUTES} min), {size:.0f} MB")
        dense = best_of(lambda: convert(source, target))
        out_size = target.stat().st_size / 1e6
        compact = best_of(lambda: convert(source, target, "--events"))
        ours = best_of(lambda: parse_numpy(source))
        baseline = best_of(lambda: parse_csv_module(source))
        assert np.allclose(parse_numpy(source), parse_csv_module(source))
        print(f"convert (dense tracks, {out_size:.1f} MB JSON): {dense:.2f} s "
              f"(target < {TARGET_SECONDS:g} s)")
        print(f"convert --events:                       {compact:.2f} s")
        print(f"CSV reading: {ours:.2f} s vs csv module row by row {baseline:.2f} s "
              f"-> {baseline / ours:.1f}x faster")
        ok = max(dense, compact) < TARGET_SECONDS
        ok = scale(Path(tmp)) and ok
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run())
