# SPDX-License-Identifier: GPL-3.0-or-later
"""facs_rig: Facial Action Coding System rigs and animation for Blender.

Importing this package (or ``core`` and ``io``) never imports ``bpy``; only ``blender`` does, so
the FACS logic runs and is tested without Blender.
"""

from .paths import version

__version__ = version()
