# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile batch specs: numbers, encodings, nesting and duplicate keys get an error naming the spec
file and the JSON path (the spec is read by the shared core checker), and leave it as it was."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from facs_rig.batch.spec import MAX_SAMPLES, SpecError, load_spec

TIMELINE = {"format": "facs-timeline", "version": 1,
            "events": [{"au": 26, "intensity": "D", "onset": 0.0, "apex": 0.2, "offset": 0.5}]}


def _spec(tmp_path: Path, text: str) -> Path:
    (tmp_path / "t.json").write_text(json.dumps(TIMELINE))
    path = tmp_path / "spec.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


@pytest.mark.parametrize(("text", "where", "message"), [
    ('{"timelines": ["t.json"], "settings": [{"samples": ' + "9" * 350 + "}]}", "$.settings[0].samples",
     "is too large"),
    ('{"timelines": ["t.json"], "settings": [{"samples": 1e400}]}', "$.settings[0].samples", "is infinite"),
    ('{"timelines": ["t.json"], "settings": [{"samples": "32"}]}', "$.settings[0].samples",
     "must be a number, got a string"),
    ('{"timelines": ["t.json"], "settings": [{"samples": 2.5}]}', "$.settings[0].samples",
     f"expected a whole number from 1 to {MAX_SAMPLES}, got 2.5"),
    ('{"timelines": ["t.json"], "settings": [{"samples": 99999999}]}', "$.settings[0].samples",
     f"expected a whole number from 1 to {MAX_SAMPLES}"),
    ('{"timelines": ["t.json"], "settings": [{"samples": NaN}]}', "$.settings[0].samples", "is NaN"),
    ('{"timelines": ["t\\ud800.json"]}', "$.timelines[0]", '"t\\ud800.json" holds a lone UTF-16 surrogate'),
    ('{"timelines": ["t.json"], "format": "mp4", "format": "png"}', "$.format", "key appears more than once"),
    ('{"timelines": ["t.json"], "name": 7}', "$.name", "must be a non-empty string, got a number"),
])
def test_bad_values_name_the_json_path(tmp_path: Path, text: str, where: str, message: str) -> None:
    path = _spec(tmp_path, text)
    before = path.read_bytes()
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(info.value).startswith(f"{path}: {where}: {message}"), str(info.value)
    assert path.read_bytes() == before


@pytest.mark.parametrize(("text", "message"), [
    ('{"timelines": ["t.json"]}' + "", None),
    ('{"x": ' + "[" * 5000 + "]" * 5000 + "}", "invalid JSON: nested more than 64 levels deep"),
    ('{"samples": ' + "9" * 5000 + "}", "invalid JSON: an integer of 5000 digits"),
    ("", "the file is empty"),
])
def test_bad_documents_name_the_file(tmp_path: Path, text: str, message: str | None) -> None:
    path = _spec(tmp_path, text)
    if message is None:
        assert len(load_spec(path).jobs) == 1
        return
    with pytest.raises(SpecError, match=rf"^{path}: {message}"):
        load_spec(path)


def test_spec_encodings(tmp_path: Path) -> None:
    path = _spec(tmp_path, "")
    text = '{"timelines": ["t.json"], "name": "caf\xe9_{avatar}"}'
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert [job.name for job in load_spec(path).jobs] == ["caf\xe9_default"]
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le") + b"\n")
    with pytest.raises(SpecError, match=rf"^{path}: UTF-16 text with an odd number of bytes"):
        load_spec(path)
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(SpecError, match=rf"^{path}: line 1 column 39: byte 0xe9 is not UTF-8 text"):
        load_spec(path)
    with pytest.raises(SpecError, match=rf"^{tmp_path}: the spec is a folder, not a regular file"):
        load_spec(tmp_path)
