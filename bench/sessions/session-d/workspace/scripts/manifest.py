#!/usr/bin/env python3
"""List the files that make up a release, with their sha256.

    python3 scripts/manifest.py            # "sha256  path" lines
    python3 scripts/manifest.py --paths    # just the paths (for rsync)
    python3 scripts/manifest.py --digest   # one sha256 over the whole manifest

Only the directories below are shipped; tests and sample data stay behind.
"""
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIP_DIRS = ["inkledger", "config", "deploy", "scripts"]
SHIP_FILES = ["pyproject.toml", "CHANGELOG.md", "README.md"]


def files():
    out = []
    for d in SHIP_DIRS:
        for p in sorted((ROOT / d).rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc"):
                out.append(p.relative_to(ROOT).as_posix())
    out.extend(f for f in SHIP_FILES if (ROOT / f).is_file())
    return sorted(out)


def manifest():
    lines = []
    for rel in files():
        digest = hashlib.sha256((ROOT / rel).read_bytes()).hexdigest()
        lines.append("%s  %s" % (digest, rel))
    return "\n".join(lines) + "\n"


def main(argv):
    if "--paths" in argv:
        print("\n".join(files()))
    elif "--digest" in argv:
        print(hashlib.sha256(manifest().encode("utf-8")).hexdigest())
    else:
        sys.stdout.write(manifest())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
