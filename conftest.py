# SPDX-License-Identifier: GPL-3.0-or-later
"""Pytest setup at the repository root (not shipped in the extension zip).

The root holds the extension's ``__init__.py``, which Blender imports as a package. Pytest would
collect the root as a Python package too and import that file on its own, outside any package,
which fails (relative import) when the checkout's folder name is not an identifier, e.g. a
``mktemp -d`` folder. The root is collected as a plain directory instead; the tests load the
add-on the way Blender does (see tests/blender/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


class _RootAsDirectory:
    """A plugin, not a conftest hook: pytest asks the root's *parent* folder how to collect the
    root, and conftest hooks only apply at and below their own folder."""

    @staticmethod
    def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
        if path.resolve() == ROOT:
            return pytest.Dir.from_parent(parent, path=path)
        return None


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_RootAsDirectory(), "facs-rig-root-as-directory")
