# SPDX-License-Identifier: GPL-3.0-or-later
"""Build inputs taken from a pinned PyPI wheel, shared by the asset builders.

The wheel is downloaded once into a cache folder with this Python's pip (``--no-deps``, binary
only) and its sha256 checked against the pin on every build, so a changed or tampered file stops
the build. Its code is never installed or imported: the builders read data files out of the zip.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


class BuildError(Exception):
    pass


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Pin:
    package: str
    version: str
    filename: str
    sha256: str

    @property
    def url(self) -> str:
        return f"https://pypi.org/project/{self.package}/{self.version}/"


def arguments(doc: str, output: Path, cache: Path) -> argparse.Namespace:
    """A builder's command line (``doc``'s first paragraph as its description): ``--output``,
    ``--cache`` (where the wheel is kept) and ``--wheel``, for :func:`fetch_wheel`."""
    parser = argparse.ArgumentParser(description=doc.partition("\n\n")[0])
    parser.add_argument("--output", type=Path, default=output)
    parser.add_argument("--cache", type=Path, default=cache)
    parser.add_argument("--wheel", type=Path, help="use this copy of the wheel (still hash-checked)")
    return parser.parse_args()


def fetch_wheel(cache: Path, wheel: Path | None, pin: Pin, tool: str) -> Path:
    """The pinned wheel, verified; downloaded unless cached or given (``wheel``, still checked)."""
    path = wheel or cache / pin.filename
    if not path.is_file():
        if wheel is not None:
            raise BuildError(f"{wheel}: no such wheel")
        cache.mkdir(parents=True, exist_ok=True)
        print(f"{tool}: downloading {pin.package}=={pin.version} into {cache}", flush=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q"]
        subprocess.run([*cmd, f"{pin.package}=={pin.version}", "-d", str(cache)], check=True)
    digest = sha256(path.read_bytes())
    if digest != pin.sha256:
        raise BuildError(f"{path}: sha256 {digest} is not the pinned {pin.sha256}; delete it and rebuild")
    return path
