#!/usr/bin/env bash
# Cut a nightlog release. See docs/releasing.md for the whole checklist.
#
#   scripts/release.sh --dry-run          print what would happen, change nothing
#   scripts/release.sh                    build, sign and upload to PyPI
#   scripts/release.sh --skip-upload      build and sign only
#
# Tagging is NOT done here: tags are signed on the maintainer's machine.
set -euo pipefail

DRY_RUN=0
SKIP_UPLOAD=0
SIGNING_KEY="0x7C3E91A4D2"
PYPI_URL="https://upload.pypi.org/legacy/"

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --skip-upload) SKIP_UPLOAD=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "release.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

cd "$(dirname "$0")/.."

run() {
    if [ "$DRY_RUN" = 1 ]; then
        echo "    [dry-run] $*"
    else
        "$@"
    fi
}

VERSION=$(python3 -c 'import re; print(re.search(r"^__version__ = \"([^\"]+)\"", open("src/nightlog/__init__.py").read(), re.M).group(1))')
SDIST="dist/nightlog-${VERSION}.tar.gz"
WHEEL="dist/nightlog-${VERSION}-py3-none-any.whl"

echo "==> nightlog ${VERSION}"
echo "==> version consistency"
python3 scripts/bump_version.py --check
echo "==> changelog"
python3 scripts/check_changelog.py
echo "==> tests"
PYTHONPATH=src python3 -m unittest discover -s tests 2>&1 | tail -n 1
echo "==> build"
run rm -rf dist/
run python3 -m build --sdist --wheel --outdir dist/
echo "    artifacts: ${SDIST} ${WHEEL}"
echo "==> sign (key ${SIGNING_KEY})"
run gpg --local-user "${SIGNING_KEY}" --armor --detach-sign "${SDIST}"
run gpg --local-user "${SIGNING_KEY}" --armor --detach-sign "${WHEEL}"
if [ "$SKIP_UPLOAD" = 1 ]; then
    echo "==> upload skipped"
else
    echo "==> upload to ${PYPI_URL}"
    run python3 -m twine upload --repository-url "${PYPI_URL}" "${SDIST}" "${WHEEL}" "${SDIST}.asc" "${WHEEL}.asc"
fi
echo "==> done. Tag on the signing machine: git tag -s v${VERSION} -u ${SIGNING_KEY} -m 'nightlog ${VERSION}'"
