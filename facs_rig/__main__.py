# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig``: the headless command line (uses the ``bpy`` module where needed)."""

import sys

from .cli import main

sys.exit(main())
