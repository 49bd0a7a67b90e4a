# SPDX-License-Identifier: GPL-3.0-or-later
"""py-feat Fex CSV, v1 (AU columns) and v2 (AU columns plus the 52 blendshapes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facs_rig.core.mapping import linear_shape_matrix, load_preset
from facs_rig.io import ReadError, read_any

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def track(result, au: int, side: str = "both"):
    [found] = [t for t in result.timeline.tracks if (t.au, t.side) == (au, side)]
    return found


def test_v1_values_times_and_gaps() -> None:
    result = read_any(FIXTURES / "pyfeat_v1.csv")
    assert result.report.format == "pyfeat"
    au12 = track(result, 12)
    assert au12.values[[0, 1, 4]].tolist() == pytest.approx([0.8, 0.7, 0.5])
    assert np.isnan(au12.values[2])  # no face in that frame: empty cells
    assert np.isnan(au12.values[3])  # FaceScore 0.60 below 0.8
    # approx_time ticks to 00:01 between frames 24 and 36: only 25..36 fps fit; 30 is preferred
    assert au12.times.tolist() == pytest.approx([0.0, 0.4, 0.8, 1.2, 1.6])
    assert result.timeline.fps == 30.0
    assert {t.side for t in result.timeline.tracks} == {"both"}


def test_v1_explicit_rate_and_threshold() -> None:
    result = read_any(FIXTURES / "pyfeat_v1.csv", fps=24.0, min_confidence=0.5)
    au12 = track(result, 12)
    assert au12.times[-1] == pytest.approx(48 / 24)
    assert au12.values[3] == pytest.approx(0.6)


def write_v2(path: Path, rows: list[tuple[int, float, dict[str, float]]]) -> Path:
    """A py-feat v2 table: AU columns, then blendshape columns made by the forward mapping."""
    controls, shapes, W = linear_shape_matrix(load_preset("arkit52"))
    au_columns = ["AU01", "AU12", "AU43"]
    header = ["FaceScore", *au_columns, "_neutral", *shapes, "input", "frame", "approx_time"]
    lines = [",".join(header)]
    for frame, score, aus in rows:
        weights = W @ np.array([aus.get(c, 0.0) for c in controls])
        direct = [aus.get(f"{name}_L", aus.get(name, 0.0)) for name in au_columns]
        cells = [f"{score}", *(f"{v:.6f}" for v in direct), "0.0", *(f"{v:.6f}" for v in weights),
                 "v.mp4", str(frame), f"00:{frame // 25:02d}"]
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_v2_blendshapes_fill_aus_the_au_columns_lack(tmp_path: Path) -> None:
    aus = {"AU12_L": 0.5, "AU12_R": 0.5, "AU29": 0.4, "AU30_R": 0.6}
    path = write_v2(tmp_path / "v2.csv", [(0, 0.99, {}), (12, 0.99, aus), (24, 0.99, {}), (26, 0.99, {})])
    result = read_any(path)
    assert result.timeline.meta["import"]["pyfeat"]["version"] == 2
    assert track(result, 29).values[1] == pytest.approx(0.4, abs=0.02)
    assert track(result, 30, "R").values[1] == pytest.approx(0.6, abs=0.02)
    assert track(result, 12).source == "AU12"  # the detector's own AU column wins over the solve
    assert (12, "L") not in {(t.au, t.side) for t in result.timeline.tracks}
    assert result.report.solver_residual < 0.01
    assert result.timeline.fps == 25.0  # frame 24 is 00:00, frame 26 is 00:01: only 25 fps fits


def test_several_faces_in_a_frame_keep_the_surest(tmp_path: Path) -> None:
    path = write_v2(tmp_path / "two.csv", [(0, 0.9, {"AU29": 0.2}), (0, 0.95, {"AU29": 0.8}),
                                           (1, 0.9, {"AU29": 0.3})])
    result = read_any(path, fps=25)
    assert track(result, 29).values.tolist() == pytest.approx([0.8, 0.3], abs=0.02)
    assert any("several faces" in w for w in result.report.warnings)


def test_text_in_the_frame_column(tmp_path: Path) -> None:
    lines = (FIXTURES / "pyfeat_v1.csv").read_text().splitlines()
    lines[4] = lines[4].replace(",36,", ",thirty-six,")
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ReadError) as err:
        read_any(path)
    assert (err.value.line, err.value.column_name) == (5, "frame")


@pytest.mark.skipif(not (SHARED / "pyfeat_v2_fex.csv").exists(), reason="shared data not present")
def test_real_pyfeat_v2_file() -> None:
    result = read_any(SHARED / "pyfeat_v2_fex.csv")
    assert result.report.frames == 20
    assert result.timeline.fps == 25.0  # frame 24 is still 00:00, frame 26 is 00:01
    assert track(result, 1).values[0] == pytest.approx(0.30731404)
    assert result.report.solver_residual is not None and result.report.solver_residual < 0.1
