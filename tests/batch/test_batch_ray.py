# SPDX-License-Identifier: GPL-3.0-or-later
"""Batch jobs on a Ray cluster (a private local instance here): each job is a Ray task in a worker
process with its own Blender, importing facs_rig from this tree; results come back in job order and
a failing job is reported, not raised. Needs ``ray`` (requirements/dev.txt)."""

from __future__ import annotations

import json
from pathlib import Path

from facs_rig.batch import ray_runner
from facs_rig.render.job import RenderJob

TIMELINE = {"format": "facs-timeline", "version": 1, "fps": 10,
            "events": [{"au": 12, "intensity": "D", "onset": 0.0, "apex": 0.2, "offset": 0.3}]}


def test_jobs_run_as_ray_tasks(tmp_path: Path) -> None:
    # The batch driver is plain Python (``facs_rig.batch``, as the CLI imports it): Ray ships the
    # job functions to workers by that name.
    timeline = tmp_path / "smile.json"
    timeline.write_text(json.dumps(TIMELINE))
    jobs = [
        RenderJob(output=str(tmp_path / "a"), timeline=str(timeline), resolution=(24, 24), frames=(1, 2),
                  name="a"),
        RenderJob(output=str(tmp_path / "b.png"), timeline=str(timeline), resolution=(24, 24),
                  engine="cycles", samples=1, name="b"),
        RenderJob(output=str(tmp_path / "c.png"), avatar=str(tmp_path / "missing.blend"), name="c"),
    ]
    seen: list[int] = []
    results = ray_runner.run_jobs_on_ray(jobs, "local", num_cpus=2, on_result=lambda i, _r: seen.append(i))
    assert sorted(seen) == [0, 1, 2]
    assert [r.name for r in results] == ["a", "b", "c"]
    assert results[0].status == "ok" and results[0].frames == (1, 2)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["frame_0001.png", "frame_0002.png"]
    assert results[1].status == "ok" and results[1].engine == "cycles"
    assert (tmp_path / "b.png").is_file()
    assert results[1].frames == (3, 3)  # a still of a timeline shows its peak (0.2 s at 10 fps)
    assert results[2].status == "failed" and "missing.blend: no such avatar file" in results[2].error
