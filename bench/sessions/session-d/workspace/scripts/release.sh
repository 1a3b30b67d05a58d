#!/usr/bin/env bash
# Usage: bash scripts/release.sh X.Y.Z
# Checks that the version is consistent everywhere, runs the tests and writes
# build/MANIFEST-X.Y.Z.txt.  Does not tag or push: do that by hand.
set -euo pipefail
v="${1:?usage: release.sh X.Y.Z}"
cd "$(dirname "$0")/.."

py_v=$(python3 -c 'import inkledger; print(inkledger.__version__)')
toml_v=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml)

if [ "$py_v" != "$v" ]; then
    echo "release: inkledger/__init__.py says $py_v, expected $v" >&2
    exit 1
fi
if [ "$toml_v" != "$v" ]; then
    echo "release: pyproject.toml says $toml_v, expected $v" >&2
    exit 1
fi
if ! grep -q "^## \[$v\]" CHANGELOG.md; then
    echo "release: CHANGELOG.md has no '## [$v]' section" >&2
    exit 1
fi

echo "release: running tests"
if ! python3 -m unittest discover -s tests -t . >build.log 2>&1; then
    tail -n 20 build.log
    echo "release: tests failed, not releasing" >&2
    exit 1
fi
tail -n 3 build.log
rm -f build.log

mkdir -p build
python3 scripts/manifest.py >"build/MANIFEST-$v.txt"
echo "release: $(wc -l <"build/MANIFEST-$v.txt") files in build/MANIFEST-$v.txt"
echo "release $v manifest digest: $(python3 scripts/manifest.py --digest)"
