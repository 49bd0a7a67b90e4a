# SPDX-License-Identifier: GPL-3.0-or-later
"""``quiet_output``: what native code writes to file descriptors 1 and 2 is dropped or moved, our
own stream still reaches the real stderr, and both descriptors come back however the block ends."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import os, sys
    from facs_rig.core.quiet import quiet_output

    def native(tag):  # as C code writes: past sys.stdout and sys.stderr
        os.write(1, f"{tag} fd1\\n".encode())
        os.write(2, f"{tag} fd2\\n".encode())

    with quiet_output(into=sys.argv[1]) as ours:
        native("inside")
        print("inside print")
        print("ours", file=ours)
    try:
        with quiet_output(into=sys.argv[1]):
            raise RuntimeError
    except RuntimeError:
        pass
    with quiet_output(False) as ours:
        native("off")
        assert ours is sys.stderr
    native("after")
""")


def _run(into: str) -> tuple[list[str], list[str]]:
    done = subprocess.run([sys.executable, "-c", CHILD, into], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    return done.stdout.splitlines(), done.stderr.splitlines()


def test_devnull_drops_both_descriptors() -> None:
    out, err = _run("devnull")
    assert out == ["off fd1", "after fd1"]
    assert err == ["ours", "off fd2", "after fd2"]


def test_stderr_moves_stdout_there() -> None:
    out, err = _run("stderr")
    assert out == ["off fd1", "after fd1"]
    assert err == ["inside fd1", "inside fd2", "inside print", "ours", "off fd2", "after fd2"]


NESTED = textwrap.dedent("""
    import os, sys
    from facs_rig.core.quiet import messages, quiet_output

    with quiet_output() as outer:
        with quiet_output(into="stderr") as inner:
            assert inner is outer is messages()
            os.write(2, b"inner fd2\\n")
        os.write(2, b"outer fd2\\n")
        print("note", file=messages())
    print("after", file=messages())
""")


def test_a_nested_block_keeps_the_outer_one_and_its_stream() -> None:
    """Inside a quiet block (a command's whole Blender work) an inner one (a render's) changes
    nothing: the descriptors stay dropped, and ``messages()`` is the outer block's real stderr."""
    done = subprocess.run([sys.executable, "-c", NESTED], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    assert done.stdout == "" and done.stderr.splitlines() == ["note", "after"]
