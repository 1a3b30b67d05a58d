#!/usr/bin/env python3
"""Sanity checks on CHANGELOG.md, run by release.sh and in CI.

* there is an ``## [Unreleased]`` section or a section for the current version
* every version heading has a date in ISO format
* the current package version has a heading before a release is cut
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADING_RE = re.compile(r"^## \[(?P<name>[^\]]+)\](?: - (?P<date>\S+))?\s*$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def package_version():
    with open(os.path.join(ROOT, "src/nightlog/__init__.py"), encoding="utf-8") as fh:
        return re.search(r'^__version__ = "([^"]+)"$', fh.read(), re.MULTILINE).group(1)


def main():
    problems = []
    sections = {}
    current = None
    with open(os.path.join(ROOT, "CHANGELOG.md"), encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            m = HEADING_RE.match(line)
            if m:
                current = m.group("name")
                sections[current] = []
                if current != "Unreleased" and not DATE_RE.match(m.group("date") or ""):
                    problems.append("CHANGELOG.md:%d: heading for %s has no date" % (lineno, current))
                continue
            if current and line.startswith("- "):
                sections[current].append((lineno, line.rstrip()))

    version = package_version()
    if "Unreleased" not in sections and version not in sections:
        problems.append("CHANGELOG.md: no [Unreleased] section and no section for %s" % version)
    if "Unreleased" in sections and not sections["Unreleased"]:
        problems.append("CHANGELOG.md: [Unreleased] is empty")

    for p in problems:
        print(p)
    if problems:
        return 1
    n = len(sections.get("Unreleased", []))
    print("CHANGELOG.md ok: %d versions, %d unreleased entries" % (len(sections) - ("Unreleased" in sections), n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
