# SPDX-License-Identifier: GPL-3.0-or-later
"""Batch specs: many renders (timelines × avatars × settings) described in one JSON file.

Stimulus sets for emotion research are grids: every expression on every face under every render
setting. A spec names the three lists and a file-name pattern; :func:`load_spec` checks all of it
(files exist, names are unique, values are valid) before any Blender starts and expands it into
:class:`~facs_rig.render.job.RenderJob` objects. Relative paths are relative to the spec file.

```json
{
  "output_dir": "stimuli",
  "name": "{timeline}_{avatar}_{settings}",
  "format": "mp4",
  "labels": true,
  "timelines": ["timelines/*.json"],
  "avatars": ["default", {"name": "alice", "file": "alice.blend", "preset": "arkit52"}],
  "identities": ["default", "gender=0.1,age=45,asian=1", {"name": "r7", "identity": "random:7"}],
  "settings": [{"name": "wb", "engine": "workbench", "resolution": "512x512"},
               {"name": "cy", "engine": "cycles", "samples": 32, "resolution": [512, 512]}]
}
```

``identities`` (optional) makes the default head in each identity (``io.identity``: parameters or
``random:SEED``); every job then records its identity's parameters, and the default name pattern
gains ``{identity}``. An identity with an avatar file is an error (identities shape the default head).
"""

from __future__ import annotations

import glob
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import FacsError
from ..core.files import FileError, check_outputs
from ..core.jsondoc import Checker, DocumentError, number, read_document, string
from ..core.timeline import load as load_timeline
from ..io.identity import default_head_details, parse_identity
from ..render.job import (
    ENGINES,
    MAX_SAMPLES,
    JobError,
    RenderJob,
    parse_frames,
    parse_resolution,
)

FORMATS = {"mp4": ".mp4", "png": ".png", "frames": ""}
"""``format`` -> suffix of each job's output: a video, one still, or a folder of PNG frames."""
TOP_KEYS = {
    "output_dir", "name", "format", "labels", "timelines", "avatars", "identities", "settings", "manifest",
}
AVATAR_KEYS = {"name", "file", "preset"}
IDENTITY_KEYS = {"name", "identity"}
SETTINGS_KEYS = {"name", "engine", "resolution", "frames", "samples"}
DEFAULT_NAME = "{timeline}_{avatar}_{settings}"
IDENTITIES_NAME = "{timeline}_{avatar}_{identity}_{settings}"
PLACEHOLDERS = ("timeline", "avatar", "identity", "settings", "index")
_SAFE = re.compile(r"[^A-Za-z0-9._+-]+")


class SpecError(JobError):
    """A spec that cannot run; the message starts with the file and the JSON path."""


@dataclass(frozen=True)
class Spec:
    path: Path
    output_dir: Path
    jobs: tuple[RenderJob, ...]
    manifest: Path
    meta: dict[str, Any] = field(default_factory=dict)
    """Per job name: the avatar, timeline and settings names the manifest reports."""

    def check_files(self) -> None:
        """Refuse, before any job starts, a manifest or a job output that would overwrite the spec,
        any job's input or another output, or that cannot be written."""
        outputs: dict[str, str | Path | None] = {"$.manifest": self.manifest}
        inputs: dict[str, str | Path | None] = {"batch spec": self.path}
        folders = set()
        for job in self.jobs:
            job_outputs, job_inputs = job.files()
            outputs.update({f"job {job.name} {_ROLES[r]}": p for r, p in job_outputs.items()})
            inputs.update({f"job {job.name} {_ROLES[r]}": p for r, p in job_inputs.items()})
            if job.kind == "sequence":
                folders.add(f"job {job.name} {_ROLES['-o']}")
        check_outputs(outputs, inputs, folders=frozenset(folders))


_ROLES = {"-o": "output", "--labels": "labels", "--timeline": "timeline", "--avatar": "avatar",
          "--preset": "preset"}


@dataclass(frozen=True)
class _Entry:
    name: str
    values: dict[str, Any]


def _safe(text: str) -> str:
    return _SAFE.sub("-", text).strip("-") or "x"


class _Reader:
    """Walks the JSON with its path, so every message says where the problem is."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.parent
        self.ck = Checker(raise_as=self.fail)

    def fail(self, where: str, message: str) -> SpecError:
        return SpecError(f"{self.path}: {where}: {message}")

    def keys(self, data: Any, allowed: set[str], where: str) -> dict[str, Any]:
        obj = self.ck.obj(data, where)
        unknown = sorted(set(obj) - allowed)
        if unknown:
            raise self.fail(where, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
        self.ck.keys(obj, where, allowed)  # duplicate keys
        return obj

    def string(self, data: Any, where: str) -> str:
        return self.ck.need(where, string, data, empty=False)

    def items(self, data: Any, where: str) -> list[Any]:
        if data is None:
            return []
        if not isinstance(data, list) or not data:
            raise self.fail(where, "expected a non-empty list")
        return data

    def file(self, text: str, where: str) -> str:
        path = (self.base / text).resolve()
        if not path.is_file():
            raise self.fail(where, f"file not found: {path}")
        return str(path)

    def timeline(self, file: str, where: str) -> _Entry:
        """A timeline loaded and checked as ``render`` and ``animate`` would, so one bad file
        among many stops the batch before any job starts."""
        try:
            load_timeline(file)
        except FacsError as exc:
            raise self.fail(where, str(exc)) from None
        return _Entry(_safe(Path(file).stem), {"timeline": file})

    def timelines(self, data: Any) -> list[_Entry]:
        entries: list[_Entry] = []
        for i, item in enumerate(self.items(data, "$.timelines")):
            where = f"$.timelines[{i}]"
            pattern = self.string(item, where)
            if glob.has_magic(pattern):
                matches = sorted(glob.glob(str(self.base / pattern)))
                if not matches:
                    raise self.fail(where, f"no file matches {pattern!r}")
                entries += [self.timeline(str(Path(m).resolve()), where) for m in matches]
            else:
                entries.append(self.timeline(self.file(pattern, where), where))
        return entries

    def avatars(self, data: Any) -> list[_Entry]:
        entries = []
        for i, raw in enumerate(self.items(data, "$.avatars") or ["default"]):
            where = f"$.avatars[{i}]"
            item = self.keys({"file": raw} if isinstance(raw, str) else raw, AVATAR_KEYS, where)
            file = self.string(item.get("file", "default"), f"{where}.file")
            avatar = file if file == "default" else self.file(file, f"{where}.file")
            name = item.get("name") or ("default" if file == "default" else Path(file).stem)
            values: dict[str, Any] = {"avatar": avatar}
            if "preset" in item:
                values["preset"] = self.string(item["preset"], f"{where}.preset")
            entries.append(_Entry(_safe(self.string(name, f"{where}.name")), values))
        return entries

    def identities(self, data: Any) -> list[_Entry]:
        """Each identity checked against the default head now, and kept as the parameters it stands
        for (a ``random:SEED`` as its draw), which is what the jobs and the manifest record."""
        if data is None:
            return [_Entry("default", {})]
        details = default_head_details()
        entries = []
        for i, raw in enumerate(self.items(data, "$.identities")):
            where = f"$.identities[{i}]"
            item = self.keys({"identity": raw} if isinstance(raw, str) else raw, IDENTITY_KEYS, where)
            text = self.string(item.get("identity", "default"), f"{where}.identity")
            try:
                identity = parse_identity(text, details)
            except FacsError as exc:
                raise self.fail(f"{where}.identity", str(exc)) from None
            name = item.get("name") or text
            entries.append(_Entry(_safe(self.string(name, f"{where}.name")), {"identity": identity.text}))
        return entries

    def settings(self, data: Any) -> list[_Entry]:
        entries = []
        for i, raw in enumerate(self.items(data, "$.settings") or [{"name": "default"}]):
            where = f"$.settings[{i}]"
            item = self.keys(raw, SETTINGS_KEYS, where)
            engine = item.get("engine")
            if engine is not None and engine not in ENGINES:
                raise self.fail(f"{where}.engine", f"{engine!r} is not one of {', '.join(ENGINES)}")
            values: dict[str, Any] = {"engine": engine}
            for key, parse in (("resolution", parse_resolution), ("frames", parse_frames)):
                if key in item:
                    values[key] = self._pair(item[key], parse, f"{where}.{key}")
            if "samples" in item:
                samples = self.ck.need(f"{where}.samples", number, item["samples"], integer=True, minimum=1,
                                       maximum=MAX_SAMPLES)
                values["samples"] = int(samples)
            name = item.get("name") or engine or f"settings{i}"
            entries.append(_Entry(_safe(self.string(name, f"{where}.name")), values))
        return entries

    def _pair(self, value: Any, parse: Callable[[str], tuple[int, int]], where: str) -> tuple[int, int]:
        if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
            value = f"{value[0]}x{value[1]}" if parse is parse_resolution else f"{value[0]}-{value[1]}"
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise self.fail(where, f"unexpected value {value!r}")
        try:
            return parse(str(value))
        except JobError as exc:
            raise self.fail(where, str(exc)) from None


def load_spec(path: str | Path) -> Spec:
    """Read, check and expand a batch spec; :class:`SpecError` names the file and JSON path."""
    path = Path(path).resolve()
    try:
        data = read_document(path, what="spec")
    except (FileError, DocumentError) as exc:
        raise SpecError(f"{path}: {exc.reason}" if isinstance(exc, FileError) else f"{path}: {exc}") from None
    return expand_spec(data, path)


def expand_spec(data: Any, path: Path) -> Spec:
    reader = _Reader(path)
    data = reader.keys(data, TOP_KEYS, "$")
    output_dir = (reader.base / reader.string(data.get("output_dir", "renders"), "$.output_dir")).resolve()
    fmt = data.get("format", "mp4")
    if fmt not in FORMATS:
        raise reader.fail("$.format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    labels = data.get("labels", False)
    if not isinstance(labels, bool):
        raise reader.fail("$.labels", f"expected true or false, got {labels!r}")
    default_name = IDENTITIES_NAME if "identities" in data else DEFAULT_NAME
    pattern = reader.string(data.get("name", default_name), "$.name")
    manifest = output_dir / reader.string(data.get("manifest", "manifest.csv"), "$.manifest")
    if manifest.suffix not in (".csv", ".json"):
        raise reader.fail("$.manifest", "the manifest is a .csv or .json file")

    timelines = reader.timelines(data.get("timelines")) or [_Entry("own", {})]
    avatars = reader.avatars(data.get("avatars"))
    identities = reader.identities(data.get("identities"))
    settings = reader.settings(data.get("settings"))
    if "timelines" not in data and any(a.values["avatar"] == "default" for a in avatars):
        raise reader.fail("$.timelines", "missing: the default avatar has no animation of its own")

    jobs: list[RenderJob] = []
    meta: dict[str, Any] = {}
    seen: dict[str, int] = {}
    grid = itertools.product(timelines, avatars, identities, settings)
    for index, (timeline, avatar, identity, setting) in enumerate(grid):
        names = {"timeline": timeline.name, "avatar": avatar.name, "settings": setting.name, "index": index}
        if "identities" in data:
            names["identity"] = identity.name
        try:
            stem = pattern.format(**names)
        except (KeyError, IndexError, ValueError) as exc:
            allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
            raise reader.fail("$.name", f"bad pattern {pattern!r} ({exc}); use {allowed}") from None
        if stem in seen:
            raise reader.fail("$.name", f"jobs {seen[stem]} and {index} would both write {stem!r}: "
                                        "add the placeholder that tells them apart")
        seen[stem] = index
        output = output_dir / f"{stem}{FORMATS[fmt]}"
        values = {**timeline.values, **avatar.values, **identity.values, **setting.values}
        try:
            job = RenderJob(output=str(output), name=stem,
                            labels=str(output_dir / f"{stem}_labels.csv") if labels else None, **values)
        except JobError as exc:
            raise reader.fail(f"job {index} ({stem})", str(exc)) from None
        jobs.append(job)
        meta[stem] = {k: v for k, v in names.items() if k != "index"}
    return Spec(path=path, output_dir=output_dir, jobs=tuple(jobs), manifest=manifest, meta=meta)
