#!/usr/bin/env bash
# Entrypoint of the importer CronJob container. Imports today's (UTC) batch,
# i.e. the manifests the carriers dropped overnight, unless a date is given:
#   run_import.sh [YYYY-MM-DD] [extra args]
set -euo pipefail

day="${1:-$(date -u +%F)}"
shift || true

echo "tollgate importer $(python3 -c 'import tollgate; print(tollgate.__version__)') batch date ${day}"
exec python3 -m tollgate.importer.nightly --date "${day}" "$@"
