"""The skills package stays a pure domain package."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("pygls", "lsprotocol", "litellm", "cairn.server")


def test_importing_every_skills_module_pulls_in_no_server_or_model_library():
    code = (
        "import importlib, pkgutil, sys\n"
        "import cairn.skills, cairn.skills.optimize\n"
        "for pkg in (cairn.skills, cairn.skills.optimize):\n"
        "    for info in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(f'{pkg.__name__}.{info.name}')\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} or "
        "m.startswith('cairn.server')]\n"
        "print(','.join(sorted(bad)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
