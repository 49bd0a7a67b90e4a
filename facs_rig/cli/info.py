# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig info --avatar FILE``: which mapping preset fits an avatar and what it can
express: each AU control with the shape keys and bones it moves, and the AUs it cannot show.

Read-only: the file is opened, never written.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..core.errors import FacsError
from ..core.expressible import unexpressed
from ..core.mapping.resolve import Coverage
from ..core.model import control_name
from ..core.quiet import quiet_output
from .common import add_avatar_options, require_bpy

HELP = "show which mapping preset fits an avatar and which AUs it can express"


def configure(parser: argparse.ArgumentParser) -> None:
    add_avatar_options(parser, required=True)
    parser.add_argument("--object", default="", metavar="NAME",
                        help="mesh to inspect (default: the mesh with the most shape keys)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def coverage_report(source: str, mesh: Any, armature: Any, preset: str) -> dict[str, Any]:
    """The info of one mesh as plain data (what ``--json`` prints)."""
    from ..blender.rig import resolve_for, shape_key_names

    shapes = shape_key_names(mesh)
    try:
        resolved, ranking = resolve_for(mesh, preset, armature)
        cov, name = resolved.coverage, resolved.preset
    except FacsError as exc:
        if preset != "auto":
            raise
        cov, name, ranking, note = Coverage(""), None, [], str(exc)
    else:
        note = ""
    return {
        "avatar": source,
        "mesh": mesh.name,
        "armature": armature.name if armature is not None else None,
        "shape_keys": len(shapes),
        "preset": name,
        "note": note,
        "ranking": [{"preset": c.preset, "found": len(c.matched), "missing": len(c.missing)}
                    for c in ranking],
        "controls": cov.controls,
        "cannot_express": {control_name(n): missing for n, missing in unexpressed(cov.controls).items()},
        "missing_targets": cov.missing,
        "unused_shape_keys": cov.unused_shapes,
        "warnings": cov.warnings,
    }


def _format(report: dict[str, Any]) -> str:
    from ..core.catalogue import control_sort_key, get_au
    from ..core.model import parse_control_name

    lines = [f"avatar: {report['avatar']}  mesh: {report['mesh']} ({report['shape_keys']} shape keys)  "
             f"armature: {report['armature'] or 'none'}"]
    if report["preset"] is None:
        lines.append(f"preset: none ({report['note']})")
    else:
        ranking = ", ".join(f"{r['preset']} {r['found']}" for r in report["ranking"])
        lines.append(f"preset: {report['preset']}  (targets found: {ranking})")
    by_au: dict[int, list[str]] = {}
    for control in sorted(report["controls"], key=control_sort_key):
        by_au.setdefault(parse_control_name(control)[0], []).append(control)
    lines.append(f"can express {len(report['controls'])} controls of {len(by_au)} AUs:")
    for number in sorted(by_au):
        for control in by_au[number]:
            targets = ", ".join(t.split(":", 1)[1] + (" (bone)" if t.startswith("bone:") else "")
                                for t in report["controls"][control])
            lines.append(f"  {control:<7} {get_au(number).name:<28} {targets}")
    cannot = report["cannot_express"]
    lines.append(f"cannot express {sum(map(len, cannot.values()))} controls of {len(cannot)} AUs:")
    for au, missing in cannot.items():
        number = parse_control_name(au)[0]
        lines.append(f"  {au:<7} {get_au(number).name:<28} {' '.join(missing)}")
    for label, key in (("preset targets not found", "missing_targets"),
                       ("shape keys no AU uses", "unused_shape_keys"), ("warnings", "warnings")):
        if report[key]:
            lines.append(f"{label} ({len(report[key])}): {', '.join(report[key])}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    require_bpy()
    from ..blender.rig_files import open_avatar

    with quiet_output(into="stderr"):  # importers print progress; stdout is for the answer
        opened = open_avatar(args.avatar, args.object, identity=args.identity)
        report = coverage_report(opened.source, opened.mesh, opened.armature, args.preset)
    print(json.dumps(report, indent=1) if args.json else _format(report))
    return 0
