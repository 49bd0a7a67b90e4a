# SPDX-License-Identifier: GPL-3.0-or-later
"""Readers and writers of external AU and blendshape formats. Pure Python + numpy; never imports bpy.

``read_any(path)`` is the entry point (CLI ``convert``, the panel's Import section); ``FORMATS``
lists what it reads, for file browsers.
"""

from .errors import ReadError
from .formats import EXTENSIONS, FORMAT_IDS, FORMATS, Format, detect
from .importer import ImportReport, ImportResult, build, read_any

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "FORMAT_IDS",
    "Format",
    "ImportReport",
    "ImportResult",
    "ReadError",
    "build",
    "detect",
    "read_any",
]
