# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading JSON documents, one way for every facs_rig format: timelines, mapping presets, batch
specs and the importers' JSON exports (MediaPipe, Audio2Face).

Each format used to decode, parse and walk its JSON on its own, and each missed a different hostile
input (a UTF-16 file, an integer of 5000 digits, ``1e999``, a lone surrogate, nesting 10 000 deep).
Here they are handled once: :func:`read_document` turns a file into Python values or raises
:class:`DocumentError` with a line and column; :class:`Checker` walks the values and reports every
problem with its JSON path (``events[3].apex``), either collecting them all (timelines, where the
user wants every mistake at once) or stopping at the first (presets, specs, importers), in the
format's own error type.
"""

from __future__ import annotations

import codecs
import difflib
import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

from .errors import FacsError, Problem
from .files import FileError, check_input, read_bytes

MAX_BYTES = 64 * 1024 * 1024
"""Largest JSON file any format reads (64 MiB): ten minutes of 52 dense 60 fps tracks is about
20 MiB, so anything bigger is not a facs_rig document, and refusing it before reading keeps a wrong
file (or ``/dev/zero``) from filling memory."""
MAX_DEPTH = 64
"""Deepest nesting accepted; the deepest real document (a preset's fallback chain) needs about 8.
Deeper documents are refused right after parsing, before any recursive code sees them."""
MAX_INT_DIGITS = 400
"""Longest integer literal read: past 309 digits no integer fits a double anyway, and Python's own
4300-digit ``int`` limit would raise from inside ``json`` without saying where."""
MAX_LISTED = 200
"""Problems a collecting checker lists before the rest are summarised in one line."""
_SNIFF_BYTES = 4096

__all__ = ["MAX_BYTES", "Checker", "DocumentError", "FileError", "Invalid", "decode_text", "duplicate_keys",
           "join", "kind", "number", "parse_json", "read_document", "string"]

T = TypeVar("T")


class DocumentError(FacsError):
    """A file that is not readable JSON text; ``line`` and ``column`` (1-based) when known."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        self.reason = reason
        self.line = line
        self.column = column
        where = f"line {line} column {column}: " if line is not None else ""
        super().__init__(f"{where}{reason}")


class Invalid(FacsError):
    """A JSON value that does not fit where it is; the message says why, the caller knows where."""


# ----------------------------------------------------------------------------------------------
# Text and syntax


def decode_text(raw: bytes) -> str:
    """The text of a file: UTF-8 (with or without BOM), or UTF-16 with a BOM (spreadsheet "Unicode
    text" exports). Everything else is refused with the place of the first bad byte rather than
    guessed at: every text format shares this, so what ``convert`` reads and what ``validate``
    accepts never disagree, and a wrong guess would turn names into mojibake silently."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if len(raw) % 2:
            raise DocumentError(f"UTF-16 text with an odd number of bytes ({len(raw):,}): the file is cut "
                                "short or not UTF-16")
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"invalid UTF-16 at byte {exc.start:,} (a lone surrogate?)") from None
    if b"\0" in raw[:_SNIFF_BYTES]:
        raise DocumentError("this is a binary file, not text (or UTF-16 without a byte-order mark)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DocumentError(f"byte 0x{raw[exc.start]:02x} is not UTF-8 text; save the file as UTF-8 "
                            "(or UTF-16)", line, column) from None


class _Object(dict[str, Any]):
    """A JSON object that remembers keys it saw twice (``json`` would keep only the last)."""

    duplicates: tuple[str, ...] = ()


def _object_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        obj.duplicates = tuple(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    return obj


class _HugeInteger(ValueError):
    """An integer literal longer than :data:`MAX_INT_DIGITS` (raised through ``json.loads``)."""


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _HugeInteger(text)
    return int(text)


def _too_deep(data: Any) -> bool:
    """Whether containers nest deeper than :data:`MAX_DEPTH`; only containers are visited, so long
    arrays of numbers cost one ``isinstance`` per item."""
    level: list[Any] = [data] if isinstance(data, dict | list) else []
    for _ in range(MAX_DEPTH):
        level = [child for node in level for child in (node.values() if isinstance(node, dict) else node)
                 if isinstance(child, dict | list)]
        if not level:
            return False
    return True


def parse_json(text: str) -> Any:
    """Python values of JSON text. Objects remember duplicate keys (:func:`duplicate_keys`); syntax
    errors, integers past :data:`MAX_INT_DIGITS`, nesting beyond :data:`MAX_DEPTH` and empty text raise
    :class:`DocumentError`. ``NaN`` and ``Infinity`` literals parse as floats and are refused, with
    their path, by :func:`number`."""
    if not text.strip():
        raise DocumentError("the file is empty")
    try:
        data = json.loads(text, object_pairs_hook=_object_hook, parse_int=_int)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except _HugeInteger as exc:
        digits = len(str(exc).lstrip("-"))
        raise DocumentError(f"invalid JSON: an integer of {digits} digits, beyond the range of any number "
                            f"(at most {MAX_INT_DIGITS} digits are read)") from None
    except RecursionError:
        data = None
        deep = True
    else:
        deep = _too_deep(data)
    if deep:
        raise DocumentError(f"invalid JSON: nested more than {MAX_DEPTH} levels deep")
    return data


def read_document(path: str | os.PathLike[str], *, what: str = "file", max_bytes: int = MAX_BYTES) -> Any:
    """The JSON values of a file, after the shared checks: a regular file of at most ``max_bytes``
    (refused before reading), decoded by :func:`decode_text`, parsed by :func:`parse_json`.
    Raises :class:`~.files.FileError` (for the file) or :class:`DocumentError` (for its text)."""
    return parse_json(decode_text(read_document_bytes(path, what=what, max_bytes=max_bytes)))


def read_document_bytes(path: str | os.PathLike[str], *, what: str = "file",
                        max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a JSON file, refused before reading unless it is a regular file of at most
    ``max_bytes`` (the message gives the limit in MiB, as the docs do)."""
    size = check_input(path, max_bytes=sys.maxsize, what=what)
    if size > max_bytes:
        raise FileError(path, f"the {what} is {size:,} bytes, more than the {max_bytes / 2**20:g} MiB limit "
                              f"for JSON documents")
    return read_bytes(path, max_bytes=max_bytes, what=what)


def duplicate_keys(obj: Mapping[str, Any]) -> tuple[str, ...]:
    return getattr(obj, "duplicates", ())


# ----------------------------------------------------------------------------------------------
# Values


def kind(value: Any) -> str:
    """How a JSON value is named in messages ("a string", "an array")."""
    if isinstance(value, bool):
        return "a boolean"
    names: dict[type, str] = {dict: "an object", list: "an array", str: "a string", type(None): "null",
                              int: "a number", float: "a number"}
    return next((name for t, name in names.items() if isinstance(value, t)), type(value).__name__)


def join(base: str, key: str | int) -> str:
    """The JSON path of ``key`` inside ``base``: ``events[3]``, ``meta.source``. Keys that would
    make the path ambiguous or unprintable (dots, brackets, control characters, lone surrogates) are
    written as escaped JSON strings: ``meta["a.b"]``."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    if not key or not key.isprintable() or any(c in key for c in '.[]"') or _has_surrogate(key):
        return f"{base}[{json.dumps(key)}]"
    return f"{base}.{key}" if base else key


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _fmt(x: float) -> str:
    """Whole numbers in full (a sample limit of 16777216 reads better than 1.67772e+07)."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else f"{x:g}"


def number(value: Any, *, minimum: float | None = None, maximum: float | None = None,
           positive: bool = False, integer: bool = False, numeric_strings: bool = False) -> float:
    """A finite float from a JSON number, within the given bounds; :class:`Invalid` says why not.

    ``numeric_strings`` accepts quoted numbers, for exports known to quote them (MediaPipe's JS
    scores); everywhere else a string where a number belongs is an error.
    """
    if numeric_strings and isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise Invalid(f"{value[:40]!r} is not a number (expected a number or a numeric string)") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"must be a number, got {kind(value)}")
    try:
        result = float(value)
    except OverflowError:
        raise Invalid("is too large (beyond double precision)") from None
    if math.isnan(result):
        raise Invalid("is NaN")
    if math.isinf(result):
        raise Invalid("is infinite (or beyond the ±1.8e308 range of a double)")
    low = minimum is not None and result < minimum
    high = maximum is not None and result > maximum
    if integer and (low or high or not result.is_integer()):
        span = "".join(f" {word} {_fmt(bound)}" for word, bound in (("from", minimum), ("to", maximum))
                       if bound is not None)
        raise Invalid(f"expected a whole number{span}, got {_fmt(result)}")
    if positive and result <= 0:
        raise Invalid(f"{_fmt(result)} must be positive")
    if low:
        raise Invalid(f"{_fmt(result)} is below the minimum {_fmt(minimum)}")  # type: ignore[arg-type]
    if high:
        raise Invalid(f"{_fmt(result)} is above the maximum {_fmt(maximum)}")  # type: ignore[arg-type]
    return result


def string(value: Any, *, empty: bool = True) -> str:
    """A string that prints and encodes (no lone surrogates from ``\\udXXX`` escapes)."""
    if not isinstance(value, str) or (not empty and not value):
        got = "an empty string" if value == "" else kind(value)
        raise Invalid(f"must be {'a' if empty else 'a non-empty'} string, got {got}")
    if _has_surrogate(value):
        raise Invalid(f"{json.dumps(value)[:60]} holds a lone UTF-16 surrogate (a broken \\u escape)")
    return value


# ----------------------------------------------------------------------------------------------
# Walking a document


@dataclass
class Checker:
    """Problems found in one document, each with its JSON path.

    With ``raise_as`` the first error raises ``raise_as(path, message)`` (the format's own error
    type and wording); without it errors are collected, :data:`MAX_LISTED` at most, for
    :meth:`finish`.
    """

    raise_as: Callable[[str, str], Exception] | None = None
    problems: list[Problem] = field(default_factory=list)
    hidden: int = 0
    n_errors: int = 0

    def error(self, path: str, message: str) -> None:
        if self.raise_as is not None:
            raise self.raise_as(path, message)
        self.n_errors += 1
        self._add(Problem(path, message, "error"))

    def fail(self, path: str, message: str) -> NoReturn:
        """Report an error and stop reading this part of the document."""
        self.error(path, message)
        raise Invalid(message)

    def warn(self, path: str, message: str) -> None:
        self._add(Problem(path, message, "warning"))

    def _add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_LISTED:
            self.problems.append(problem)
        else:
            self.hidden += 1

    @property
    def failed(self) -> bool:
        return self.n_errors > 0

    def finish(self) -> list[Problem]:
        if self.hidden:
            self.problems.append(Problem("", f"... and {self.hidden} more problems not listed",
                                         "error" if self.failed else "warning"))
        return self.problems

    def check(self, path: str, read: Callable[..., T], value: Any, **options: Any) -> T | None:
        """``read(value, **options)``, or None after reporting its :class:`Invalid` at ``path``."""
        try:
            return read(value, **options)
        except Invalid as exc:
            self.error(path, str(exc))
            return None

    def need(self, path: str, read: Callable[..., T], value: Any, **options: Any) -> T:
        """Like :meth:`check` for a value that cannot be done without: raises after reporting."""
        try:
            return read(value, **options)
        except Invalid as exc:
            self.fail(path, str(exc))

    def expect(self, ok: bool, path: str, message: str) -> None:
        if not ok:
            self.fail(path, message)

    def obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, f"must be an object, got {kind(value)}")
        return value

    def array(self, value: Any, path: str, *, empty: bool = True) -> list[Any]:
        if not isinstance(value, list):
            self.fail(path, f"must be an array, got {kind(value)}")
        if not empty and not value:
            self.fail(path, "must be a non-empty array")
        return value

    def member(self, obj: Any, key: str, path: str) -> Any:
        """``obj[key]`` of an object that must have it."""
        if key not in self.obj(obj, path):
            self.fail(path, f"missing key {key!r}")
        return obj[key]

    def keys(self, obj: Mapping[str, Any], base: str, known: Iterable[str], *, strict: bool = True) -> None:
        """Duplicate keys are errors; unknown keys are errors with ``strict``, else warnings (where
        tools may add keys of their own). A close known key is suggested."""
        known = tuple(known)
        for key in duplicate_keys(obj):
            self.error(join(base, key), "key appears more than once")
        for key in obj:
            if key in known:
                continue
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            if strict:
                self.error(join(base, key), f"unknown key ({hint}known: {', '.join(known)})")
            else:
                self.warn(join(base, key), f"unknown key ignored ({hint}known: {', '.join(known)})")
