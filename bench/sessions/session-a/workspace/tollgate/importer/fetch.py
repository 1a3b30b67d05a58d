"""Fetch tonight's manifests from the carrier SFTP drop box.

Runs as the first container of the importer CronJob pod (init container
`fetch-manifests`); writes files into the shared inbound volume as
<inbound>/<YYYY-MM-DD>/<CODE>_<YYYYMMDD>_<HHMM>.csv.

paramiko is only needed here, so it is imported lazily; local development
works from the sample files under data/inbound/ instead.
"""

import argparse
import os
import sys
from datetime import date, datetime, timezone
from pathlib import Path

from .. import config

SFTP_HOST_ENV = "TOLLGATE_SFTP_HOST"
SFTP_USER_ENV = "TOLLGATE_SFTP_USER"
SFTP_KEY_ENV = "TOLLGATE_SFTP_KEY_FILE"


def _target_name(code, mtime):
    stamp = datetime.fromtimestamp(mtime, tz=timezone.utc)
    return f"{code}_{stamp:%Y%m%d}_{stamp:%H%M}.csv"


def fetch(day, inbound_dir, carriers, dry_run=False):
    import paramiko  # noqa: lazy import

    host = os.environ[SFTP_HOST_ENV]
    port = int(os.environ.get("TOLLGATE_SFTP_PORT", "22"))
    transport = paramiko.Transport((host, port))
    key = paramiko.Ed25519Key.from_private_key_file(os.environ[SFTP_KEY_ENV])
    transport.connect(username=os.environ[SFTP_USER_ENV], pkey=key)
    sftp = paramiko.SFTPClient.from_transport(transport)
    target_dir = Path(inbound_dir) / day.isoformat()
    target_dir.mkdir(parents=True, exist_ok=True)
    fetched = []
    try:
        for code, cfg in carriers.items():
            for entry in sftp.listdir_attr(cfg["sftp_dir"]):
                if not entry.filename.lower().endswith(".csv"):
                    continue
                if datetime.fromtimestamp(entry.st_mtime, tz=timezone.utc).date() != day:
                    continue
                target = target_dir / _target_name(code, entry.st_mtime)
                if dry_run:
                    print(f"would fetch {cfg['sftp_dir']}/{entry.filename} -> {target}")
                    continue
                sftp.get(f"{cfg['sftp_dir']}/{entry.filename}", str(target))
                fetched.append(target)
    finally:
        sftp.close()
        transport.close()
    return fetched


def main(argv=None):
    ap = argparse.ArgumentParser(prog="tollgate.importer.fetch")
    ap.add_argument("--date", required=True, type=date.fromisoformat)
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args(argv)
    settings = config.load()
    files = fetch(args.date, settings.path("importer", "inbound_dir"), config.load_carriers(), args.dry_run)
    print(f"fetched {len(files)} file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
