"""Shared test helpers."""

import tempfile
from pathlib import Path

from tollgate import config

MERIDIAN_HEADER = ("shipment_ref,pro_number,event_code,event_time,city,state,postal_code,"
                   "weight_kg,pieces,declared_value_usd,consignee")
NORTHLINE_HEADER = "tracking_no,status,scan_ts,location_code,dest_zip,weight_lb,pieces"
PAKELUX_HEADER = "sendungsnr;status;zeit;ort;plz;gewicht_kg;colli"


def carrier_cfg(code):
    return config.load_carriers()[code]


def write_manifest(directory, name, header, lines, encoding="utf-8"):
    path = Path(directory) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *lines]) + "\n", encoding=encoding)
    return path


class TempDirMixin:
    def setUp(self):
        super().setUp()
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()
        super().tearDown()
