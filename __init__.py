# SPDX-License-Identifier: GPL-3.0-or-later
"""Extension entry point: Blender imports this module, the add-on itself lives in ``facs_rig/``."""

from .facs_rig.blender import register, unregister

__all__ = ("register", "unregister")
