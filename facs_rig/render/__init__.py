# SPDX-License-Identifier: GPL-3.0-or-later
"""What a render is, in plain data: the job and its output rules, progress arithmetic and the atlas
layout. Pure Python + numpy, never imports bpy: the panel, the CLI and batch specs all speak this
vocabulary, and only ``blender`` turns it into pixels.
"""
