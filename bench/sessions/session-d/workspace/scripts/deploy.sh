#!/usr/bin/env bash
# Usage: bash scripts/deploy.sh [--dry-run]
# Copies the release manifest's files to the till and restarts the counter API.
set -euo pipefail

TARGET_HOST="${INKLEDGER_DEPLOY_HOST:-till-01.halftonehare.lan}"
TARGET_USER="inkdeploy"
TARGET_DIR="/opt/inkledger/app"
SERVICE="inkledger-counter.service"

dry_run=0
for arg in "$@"; do
    case "$arg" in
        --dry-run) dry_run=1 ;;
        *) echo "deploy: unknown argument $arg" >&2; exit 2 ;;
    esac
done

cd "$(dirname "$0")/.."
version=$(python3 -c 'import inkledger; print(inkledger.__version__)')
paths=$(python3 scripts/manifest.py --paths)
count=$(printf '%s\n' "$paths" | wc -l)
port=$(sed -n '/^\[counter\]/,/^\[/s/^port = //p' config/settings.ini)

echo "deploy: inkledger $version, $count files"
echo "deploy: target ${TARGET_USER}@${TARGET_HOST}:${TARGET_DIR}"
echo "deploy: counter API will listen on port $port"

rsync_cmd=(rsync -a --delete-after --files-from=- ./ "${TARGET_USER}@${TARGET_HOST}:${TARGET_DIR}/")
restart_cmd=(ssh "${TARGET_USER}@${TARGET_HOST}" sudo systemctl restart "$SERVICE")
cron_cmd=(scp deploy/crontab "${TARGET_USER}@${TARGET_HOST}:/etc/cron.d/inkledger")

if [ "$dry_run" = 1 ]; then
    echo "deploy: dry run, would run:"
    echo "  ${rsync_cmd[*]}"
    echo "  ${cron_cmd[*]}"
    echo "  ${restart_cmd[*]}"
    echo "deploy: cron schedule that would be installed:"
    grep -E '^[0-9*]' deploy/crontab | sed -E 's/^(([^ ]+ +){4}[^ ]+) +[^ ]+ +/  \1 -> /; s/ *>>.*$//'
    exit 0
fi

printf '%s\n' "$paths" | "${rsync_cmd[@]}"
"${cron_cmd[@]}"
"${restart_cmd[@]}"
echo "deploy: done"
