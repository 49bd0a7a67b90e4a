# SPDX-License-Identifier: GPL-3.0-or-later
"""Running many render jobs: batch specs and manifests, a pool of worker processes (one Blender
each) and the Ray and Flamenco glue. The job itself is :class:`facs_rig.render.job.RenderJob`.

Importing this package never imports ``bpy``: the batch driver only hands jobs to workers, and the
spec is checked before any Blender starts. ``worker`` imports bpy when a job runs.
"""
