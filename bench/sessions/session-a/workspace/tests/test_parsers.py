import unittest
from datetime import datetime, timezone

from tollgate.importer import parsers

from helpers import (MERIDIAN_HEADER, NORTHLINE_HEADER, PAKELUX_HEADER, TempDirMixin,
                     carrier_cfg, write_manifest)


class MeridianTests(TempDirMixin, unittest.TestCase):
    def parse(self, *lines):
        path = write_manifest(self.tmp, "MRDH_20240301_0400.csv", MERIDIAN_HEADER, lines)
        return parsers.parse_file(path, carrier_cfg("MRDH"))

    def test_basic_row(self):
        (row,) = self.parse("MRD100,PRO 1,PU,2024-03-01 18:30,JOLIET,IL,60436,412.5,3,950.00,ACME")
        self.assertEqual(row.carrier_ref, "MRD100")
        self.assertEqual(row.event_code, "PICKED_UP")
        self.assertEqual(row.weight_kg, 412.5)
        self.assertEqual(row.declared_value_usd, 950.0)
        self.assertEqual(row.location, "JOLIET, IL")
        self.assertEqual(row.line_no, 2)

    def test_local_time_converted_to_utc(self):
        (row,) = self.parse("MRD100,PRO 1,PU,2024-03-01 18:30,JOLIET,IL,60436,412.5,3,,ACME")
        self.assertEqual(row.scanned_at, datetime(2024, 3, 2, 0, 30, tzinfo=timezone.utc))

    def test_unknown_code_is_kept_for_validation(self):
        (row,) = self.parse("MRD100,PRO 1,ZZ,2024-03-01 18:30,JOLIET,IL,60436,412.5,3,,ACME")
        self.assertIsNone(row.event_code)
        self.assertEqual(row.raw_code, "ZZ")

    def test_blank_numbers(self):
        (row,) = self.parse("MRD100,PRO 1,AR,2024-03-01 18:30,JOLIET,IL,60436,,,,ACME")
        self.assertIsNone(row.weight_kg)
        self.assertIsNone(row.pieces)
        self.assertIsNone(row.declared_value_usd)


class NorthlineTests(TempDirMixin, unittest.TestCase):
    def test_pounds_to_kg(self):
        path = write_manifest(self.tmp, "NRTX_20240301_0130.csv", NORTHLINE_HEADER,
                              ["NX0000000001,OFD,2024-03-01T09:15:00Z,ORD-T2,60618,1000,4"])
        (row,) = parsers.parse_file(path, carrier_cfg("NRTX"))
        self.assertEqual(row.weight_kg, 453.59)
        self.assertEqual(row.event_code, "OUT_FOR_DELIVERY")
        self.assertEqual(row.scanned_at.hour, 9)


class PakeluxTests(TempDirMixin, unittest.TestCase):
    def test_decimal_comma_and_semicolons(self):
        path = write_manifest(self.tmp, "PKLX_20240301_0255.csv", PAKELUX_HEADER,
                              ["PK1;ZUG;01.03.2024 14:05;Bremen;28197;12,5;2"], encoding="cp1252")
        (row,) = parsers.parse_file(path, carrier_cfg("PKLX"))
        self.assertEqual(row.weight_kg, 12.5)
        self.assertEqual(row.event_code, "DELIVERED")
        self.assertEqual(row.scanned_at, datetime(2024, 3, 1, 13, 5, tzinfo=timezone.utc))


class CarrierOfTests(unittest.TestCase):
    def test_carrier_from_filename(self):
        self.assertEqual(parsers.carrier_of("data/inbound/2024-03-11/MRDH_20240311_0412.csv"), "MRDH")
        self.assertEqual(parsers.carrier_of("pklx_20240311_0255.csv"), "PKLX")


if __name__ == "__main__":
    unittest.main()
