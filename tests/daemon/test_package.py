"""`import depsentry.daemon` costs nothing: the package imports none of its modules or the engine."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_daemon_package_loads_nothing_else() -> None:
    code = (
        "import sys; before = set(sys.modules); import depsentry.daemon; "
        "print(sorted(m for m in set(sys.modules) - before if m.startswith('depsentry')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['depsentry', 'depsentry.daemon']"
