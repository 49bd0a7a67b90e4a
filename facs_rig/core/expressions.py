# SPDX-License-Identifier: GPL-3.0-or-later
"""Named expressions (FACS.md section 5 prototypes and social signals) from ``presets/expressions.json``.

Timelines say ``{"expression": "surprise"}`` and the panel lists the same names, so both read them
from one data file.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import cache

from ..paths import PRESETS
from .codes import FacsCode, parse_code
from .errors import FacsError

EXPRESSIONS_FILE = PRESETS / "expressions.json"


@dataclass(frozen=True)
class Expression:
    name: str
    kind: str
    """``prototype`` (an emotion of the FACS Investigator's Guide) or ``social_signal``."""
    code: FacsCode
    variants: tuple[FacsCode, ...] = ()
    note: str = ""

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()


@cache
def _expressions() -> dict[str, Expression]:
    data = json.loads(EXPRESSIONS_FILE.read_text(encoding="utf-8"))
    table: dict[str, Expression] = {}
    for row in data["expressions"]:
        try:
            expr = Expression(row["name"], row["kind"], parse_code(row["code"]),
                              tuple(parse_code(v) for v in row.get("variants", ())), row.get("note", ""))
        except FacsError as exc:
            raise FacsError(f"{EXPRESSIONS_FILE.name}: expression {row.get('name')!r}: {exc}") from exc
        table[expr.name] = expr
    return table


def _key(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def expression_names() -> list[str]:
    """Every expression name, prototypes first, in file order."""
    return list(_expressions())


def expression_info(name: str) -> Expression:
    """The full entry of an expression; unknown names raise :class:`FacsError` with suggestions."""
    table = _expressions()
    key = _key(name) if isinstance(name, str) else ""
    if key not in table:
        close = difflib.get_close_matches(key, list(table), n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else f"; known: {', '.join(table)}"
        raise FacsError(f"unknown expression {name!r}{hint}")
    return table[key]


def get_expression(name: str) -> FacsCode:
    """The code an expression plays, e.g. ``surprise`` → ``1+2+5B+26``."""
    return expression_info(name).code
