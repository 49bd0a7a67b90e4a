# SPDX-License-Identifier: GPL-3.0-or-later
"""Error types of the FACS core.

Everything the core rejects is a :class:`FacsError` (a ``ValueError``), so callers that only care
about "bad input" catch one type, while the CLI and panel can still tell a timeline's list of
problems (:class:`TimelineError`) from a single bad code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


class FacsError(ValueError):
    """Bad FACS input: an unknown AU, a malformed code, an invalid timeline."""


class UnknownAUError(FacsError):
    """An AU number that is not in the catalogue; ``number`` is the offending value."""

    def __init__(self, number: object, reason: str = "") -> None:
        self.number = number
        detail = reason or "not a FACS code"
        super().__init__(f"unknown AU {number}: {detail}")


class CodeError(FacsError):
    """A malformed FACS code string; points at the offending token and its position."""

    def __init__(self, code: str, position: int, token: str, reason: str) -> None:
        self.code = code
        self.position = position
        self.token = token
        self.reason = reason
        super().__init__(f"{reason} in {code!r}: token {token!r} at position {position}")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a timeline, located by its JSON path (``events[3].apex``)."""

    path: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class TimelineError(FacsError):
    """A timeline that cannot be loaded, with every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem], filename: str | None = None) -> None:
        self.problems = list(problems)
        self.filename = filename
        super().__init__(self._text())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def lines(self) -> list[str]:
        """One line per problem, errors first, prefixed by the file name when known."""
        prefix = f"{self.filename}: " if self.filename else ""
        return [f"{prefix}{p}" for p in self.errors] + [f"{prefix}warning: {p}" for p in self.warnings]

    def _text(self) -> str:
        return "\n".join(self.lines())

    def __str__(self) -> str:
        return self._text()
