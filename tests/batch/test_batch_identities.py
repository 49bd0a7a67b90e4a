# SPDX-License-Identifier: GPL-3.0-or-later
"""The batch spec's ``identities`` axis without Blender: jobs per identity, each recording the
identity's parameters (a random draw as its draw), names, errors with their JSON path, the
manifest's identity columns and the render command a farm worker runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from facs_rig.batch.manifest import manifest_row
from facs_rig.batch.spec import SpecError, expand_spec
from facs_rig.cli import build_parser
from facs_rig.cli.render import job_from_args
from facs_rig.io.identity import default_head_details, parse_identity
from facs_rig.paths import PRESETS

TIMELINE = str(PRESETS / "timelines" / "demo.json")


def spec(tmp_path: Path, **extra: object) -> dict[str, object]:
    return {"output_dir": str(tmp_path / "out"), "timelines": [TIMELINE], "format": "png", "labels": True,
            **extra}


def test_identities_axis_makes_one_job_per_identity(tmp_path: Path) -> None:
    drawn = parse_identity("random:7", default_head_details()).text
    loaded = expand_spec(spec(tmp_path, identities=[
        "default", "gender=0.1,age=45,asian=1", {"name": "r7", "identity": "random:7"},
    ]), tmp_path / "spec.json")
    assert [job.name for job in loaded.jobs] == [
        "demo_default_default_default",
        "demo_default_gender-0.1-age-45-asian-1_default",
        "demo_default_r7_default",
    ]
    assert [job.identity for job in loaded.jobs] == ["", "gender=0.1,age=45,asian=1", drawn]
    assert loaded.meta["demo_default_r7_default"]["identity"] == "r7"
    rows = [manifest_row(job, None, loaded.meta[job.name]) for job in loaded.jobs]
    assert [(row["identity"], row["identity_parameters"]) for row in rows] == [
        ("default", "default"), ("gender-0.1-age-45-asian-1", "gender=0.1,age=45,asian=1"), ("r7", drawn),
    ]
    worker = loaded.jobs[2].cli_args()
    assert worker[worker.index("--identity") + 1] == drawn
    again = job_from_args(build_parser().parse_args(worker))
    assert again.identity == drawn and again.labels == loaded.jobs[2].labels


@pytest.mark.parametrize(("identities", "message"), [
    (["gendr=1"], r"\$\.identities\[0\]\.identity: identity 'gendr=1': unknown parameter 'gendr'; "
                  r"did you mean gender"),
    ([{"name": "x", "identity": "age=150"}], r"\$\.identities\[0\]\.identity: .*age=150 is out of range"),
    ([{"who": "x"}], r"\$\.identities\[0\]: unknown key 'who'"),
    ([], r"\$\.identities: expected a non-empty list"),
])
def test_bad_identities_name_their_place(tmp_path: Path, identities: list[object], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        expand_spec(spec(tmp_path, identities=identities), tmp_path / "spec.json")


def test_an_identity_needs_the_default_head(tmp_path: Path) -> None:
    (tmp_path / "alice.blend").write_bytes(b"BLENDER")
    with pytest.raises(SpecError, match=r"alice\.blend: an identity shapes the default head only"):
        expand_spec(spec(tmp_path, avatars=["alice.blend"], identities=["gender=1"]), tmp_path / "spec.json")
