"""Tollgate Freight backend.

Three deployables share this package:
  * tollgate.tracking  - customer-facing shipment tracking API (WSGI, served by gunicorn)
  * tollgate.rates     - rates calculator used by the quoting portal and the sales CLI
  * tollgate.importer  - nightly carrier manifest import (k8s CronJob)
"""

__version__ = "2.14.3"
