#!/usr/bin/env python3
"""Set the package version everywhere it is written down.

    python3 scripts/bump_version.py 0.9.1      # rewrite the files
    python3 scripts/bump_version.py --check    # all files agree? (used by release.sh)

The CHANGELOG heading is not touched: move the Unreleased entries by hand,
that is the moment to reread them.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# file -> regex with a named group "v" around the version
VERSION_FILES = {
    "src/nightlog/__init__.py": r'^__version__ = "(?P<v>[^"]+)"$',
    "pyproject.toml": r'^version = "(?P<v>[^"]+)"$',
}

VERSION_RE = re.compile(r"^\d+\.\d+\.\d+(?:rc\d+)?$")


def read_versions():
    found = {}
    for rel, pattern in VERSION_FILES.items():
        with open(os.path.join(ROOT, rel), encoding="utf-8") as fh:
            match = re.search(pattern, fh.read(), re.MULTILINE)
        if not match:
            sys.exit("error: no version found in %s" % rel)
        found[rel] = match.group("v")
    return found


def check():
    found = read_versions()
    if len(set(found.values())) != 1:
        for rel, v in sorted(found.items()):
            print("  %-28s %s" % (rel, v))
        sys.exit("error: version mismatch")
    print("version %s consistent in %d files" % (next(iter(found.values())), len(found)))


def bump(new):
    if not VERSION_RE.match(new):
        sys.exit("error: version must look like X.Y.Z or X.Y.ZrcN (got %r)" % new)
    for rel, pattern in VERSION_FILES.items():
        path = os.path.join(ROOT, rel)
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        match = re.search(pattern, text, re.MULTILINE)
        old = match.group("v")
        start, end = match.span("v")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text[:start] + new + text[end:])
        print("%s: %s -> %s" % (rel, old, new))


def main(argv):
    if argv == ["--check"]:
        check()
    elif len(argv) == 1 and not argv[0].startswith("-"):
        bump(argv[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
