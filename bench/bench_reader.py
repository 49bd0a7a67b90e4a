# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a 60 s, 1280×720, 30 fps video of the default head with the built-in face reader.

The video is made by rendering: ``facs_rig render`` performs the first 3 s of the demo timeline at
720p (Workbench; about 0.3 frames/s here), and those 90 frames are played twenty times over into
one 60 s H.264 file with PyAV (fresh timestamps). Both are cached under ``out/bench_reader/``;
delete them to remake them.

Measured in one process, on the same file:

- decoding alone (PyAV to RGB arrays), the floor under any reader;
- the reader as ``convert`` runs it (:func:`facs_rig.reader.read_media`: MediaPipe VIDEO mode,
  which tracks the face between frames, up to four faces searched, face following);
- on the first ten seconds (a full minute adds nothing but waiting): VIDEO mode searching one face
  instead of four (the cost of telling several faces apart), and the baseline, MediaPipe IMAGE
  mode, which detects the face afresh in every frame.

Printed: frames/s of each, the reader against the video's own 30 fps (target: at least 2x real
time on this 2-core machine) and against the IMAGE-mode baseline, with the machine's load average:
the cores are shared, and figures taken under load are lower.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import av

from facs_rig.paths import PRESETS, ROOT
from facs_rig.reader import Landmarker, open_media, read_media

OUT = ROOT / "out" / "bench_reader"
TIMELINE = PRESETS / "timelines" / "demo.json"
FPS = 30
CLIP_FRAMES = 90
REPEATS = 20
BASELINE_FRAMES = 300
TARGET_REALTIME = 2.0


def rendered_clip() -> Path:
    clip = OUT / "demo_3s_720p.mp4"
    if not clip.is_file():
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"rendering {CLIP_FRAMES} frames at 1280x720 into {clip} (cached) ...", flush=True)
        command = [sys.executable, "-m", "facs_rig", "render", "--timeline", str(TIMELINE), "-o", str(clip),
                   "--resolution", "1280x720", "--frames", f"1-{CLIP_FRAMES}"]
        subprocess.run(command, cwd=ROOT, check=True)
    return clip


def minute_video() -> Path:
    video = OUT / "demo_60s_720p.mp4"
    if video.is_file():
        return video
    clip = rendered_clip()
    with av.open(str(clip)) as inp:
        frames = [f.to_ndarray(format="rgb24") for f in inp.decode(video=0)]
    partial = video.with_suffix(".partial.mp4")
    with av.open(str(partial), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        for i in range(REPEATS * len(frames)):
            frame = av.VideoFrame.from_ndarray(frames[i % len(frames)], format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    partial.replace(video)
    return video


def timed(label: str, frames: int, run: float) -> float:
    rate = frames / run
    print(f"{label:<44} {frames:5d} frames in {run:6.1f} s = {rate:6.1f} frames/s = "
          f"{rate / FPS:4.2f}x real time")
    return rate


def main() -> int:
    video = minute_video()
    media = open_media(video)
    print(f"{video.name}: {media.expected_frames} frames at {media.fps:g} fps "
          f"({media.expected_frames / (media.fps or FPS):.0f} s)")

    start = time.perf_counter()
    count = sum(1 for _ in media.frames())
    decode = timed("decode only (PyAV to RGB)", count, time.perf_counter() - start)

    start = time.perf_counter()
    capture = read_media(video)
    reader = timed("reader, VIDEO mode (as convert runs it)", capture.frames, time.perf_counter() - start)
    found = int(capture.valid.sum()) if capture.valid is not None else capture.frames

    first = [frame for _, frame in zip(range(BASELINE_FRAMES), media.frames(), strict=False)]
    with Landmarker(video=True, faces=1) as landmarker:
        start = time.perf_counter()
        for frame in first:
            landmarker.read(frame.rgb, round(frame.time * 1000))
        timed("VIDEO mode, one face searched", len(first), time.perf_counter() - start)
    with Landmarker(faces=4) as landmarker:
        start = time.perf_counter()
        for frame in first:
            landmarker.read(frame.rgb)
        run = time.perf_counter() - start
    baseline = timed("baseline: IMAGE mode, detection every frame", len(first), run)

    print(f"face found in {found} of {capture.frames} frames")
    print(f"reader vs IMAGE-mode baseline: {reader / baseline:.2f}x; decoding is "
          f"{100 * reader / decode:.0f}% of the reader's time")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg())
          + f" on {os.cpu_count()} cores")
    verdict = "meets" if reader / FPS >= TARGET_REALTIME else "MISSES"
    print(f"reader: {reader / FPS:.2f}x real time, {verdict} the target of {TARGET_REALTIME:g}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
