# SPDX-License-Identifier: GPL-3.0-or-later
"""Readers and writers of external AU and blendshape formats. Pure Python + numpy; never imports bpy."""
