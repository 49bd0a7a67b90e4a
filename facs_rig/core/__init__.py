# SPDX-License-Identifier: GPL-3.0-or-later
"""FACS vocabulary and maths in pure Python + numpy. Never imports bpy."""
