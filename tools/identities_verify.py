# SPDX-License-Identifier: GPL-3.0-or-later
"""Read back the identities sheet's twelve identities and the default head with ``verify`` (front,
level E, the atlas codes) and write the table of ``docs/identities_verify.md``: one column per
head, a row per code, the recognised count last, all from one run with the reader as it stands.

Run: ``.venv/bin/python tools/identities_verify.py`` -> ``out/identities_verify/<head>.{json,md,png}``
and ``out/identities_verify/table.md`` (paste it into the doc with the date); ``--only M45caucasian``
re-reads a few heads.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from contact_sheet import IDENTITIES  # tools/ is a folder of scripts, not a package

from facs_rig.cli import main as cli
from facs_rig.core.files import atomic_write_text

HEADS = (("default", ""), *((title.replace(" ", ""), text) for title, text in IDENTITIES))


def read(name: str, identity: str, folder: Path) -> dict:
    """One head's verify report (JSON), run in this process so bpy and the reader load once."""
    argv = ["verify", "--avatar", "default", "--views", "front", "--levels", "E", "--expressions", "none",
            "-o", str(folder / name)]
    if identity:
        argv += ["--identity", identity]
    start = time.perf_counter()
    if cli(argv):
        sys.exit(f"identities_verify: verify failed for {name} ({identity})")
    print(f"identities_verify: {name} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return dict(json.loads((folder / f"{name}.json").read_text(encoding="utf-8")))


def cell(trial: dict) -> str:
    mark = "✓" if trial["verdict"] == "recognised" else "✗"
    return f"{mark} {','.join(f'{value:.2f}' for value in trial['read'].values())}"


def table(reports: dict[str, dict]) -> str:
    """Markdown: a row per code (✓/✗ and the intended AUs' readings), a column per head."""
    codes = [trial["code"] for trial in next(iter(reports.values()))["trials"]]
    by_head = {name: {t["code"]: t for t in report["trials"]} for name, report in reports.items()}
    lines = ["| code | " + " | ".join(reports) + " |", "|---" * (len(reports) + 1) + "|"]
    lines += [f"| {code} | " + " | ".join(cell(by_head[name][code]) for name in reports) + " |"
              for code in codes]
    counts = [str(report["summary"][0]["recognised"]) for report in reports.values()]
    lines.append("| recognised | " + " | ".join(counts) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", type=Path, default=Path("out/identities_verify"))
    parser.add_argument("--only", nargs="+", metavar="HEAD", help="heads to read (default: all 13)")
    args = parser.parse_args()
    args.output_dir.mkdir(parents=True, exist_ok=True)
    heads = [(name, text) for name, text in HEADS if not args.only or name in args.only]
    reports = {name: read(name, text, args.output_dir) for name, text in heads}
    path = args.output_dir / "table.md"
    atomic_write_text(path, table(reports))
    print(path.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
