import io
import unittest

from nightlog.header import Card, HeaderError, parse_card, parse_header, parse_log

from tests.helpers import NIGHT, lines, synthetic


class ParseCardTests(unittest.TestCase):
    def test_integer(self):
        card = parse_card("NAXIS1  =                 4096 / length of data axis 1")
        self.assertEqual(card, Card("NAXIS1", 4096, "length of data axis 1"))

    def test_logical(self):
        self.assertIs(parse_card("SIMPLE  =                    T").value, True)
        self.assertIs(parse_card("EXTEND  =                    F / no extensions").value, False)

    def test_real_with_d_exponent(self):
        card = parse_card("BSCALE  =              1.0D+00 / scaling")
        self.assertAlmostEqual(card.value, 1.0)

    def test_negative_real(self):
        self.assertEqual(parse_card("CCD-TEMP=               -35.00 / [C]").value, -35.0)

    def test_string_trailing_blanks_dropped(self):
        self.assertEqual(parse_card("FILTER  = 'V       '           / filter").value, "V")

    def test_string_doubled_quote(self):
        card = parse_card("OBSERVER= 'D. O''Neill'         / observer on duty")
        self.assertEqual(card.value, "D. O'Neill")

    def test_no_comment(self):
        card = parse_card("OBJECT  = 'SA 98'")
        self.assertEqual(card.value, "SA 98")
        self.assertIsNone(card.comment)

    def test_commentary(self):
        card = parse_card("HISTORY kestrel-acq 4.7.1: stats from central 512x512 box")
        self.assertTrue(card.is_commentary)
        self.assertEqual(card.comment, "kestrel-acq 4.7.1: stats from central 512x512 box")

    def test_end(self):
        self.assertIsNone(parse_card("END"))

    def test_card_too_long(self):
        with self.assertRaises(HeaderError):
            parse_card("COMMENT " + "x" * 80)

    def test_unterminated_string_message(self):
        with self.assertRaises(HeaderError) as cm:
            parse_card("OBJECT  = 'SA 98      / target", lineno=7)
        self.assertEqual(str(cm.exception), "unterminated quoted string at line 7 (OBJECT)")

    def test_malformed(self):
        with self.assertRaises(HeaderError):
            parse_card("this is not a card")


class ParseHeaderTests(unittest.TestCase):
    def test_missing_end(self):
        with self.assertRaises(HeaderError) as cm:
            parse_header(lines("""
SIMPLE  =                    T
NAXIS   =                    0
"""))
        self.assertIn("missing END card", str(cm.exception))

    def test_last_card_wins(self):
        header = parse_header(lines("""
AIRMASS =                1.210 / from TCS
AIRMASS =               1.2141 / recomputed at mid-exposure
END
"""))
        self.assertEqual(header["AIRMASS"], 1.2141)
        self.assertEqual(header.keys(), ["AIRMASS"])


class ParseLogTests(unittest.TestCase):
    def test_fixture_frame_count(self):
        headers = parse_log(NIGHT)
        self.assertEqual(len(headers), 14)
        self.assertEqual(headers[0].frame_id, "kst13_20231114_0021")
        self.assertEqual(headers[-1].frame_id, "kst13_20231114_0055")

    def test_first_line_numbers(self):
        headers = parse_log(NIGHT)
        self.assertEqual(headers[0].first_line, 1)
        self.assertEqual(headers[1].first_line, 19)

    def test_stream(self):
        text = "SIMPLE  =                    T\nEND\n\nSIMPLE  =                    T\nEND\n"
        self.assertEqual(len(parse_log(io.StringIO(text))), 2)

    def test_continue_cards_not_supported(self):
        # CONTINUE long strings are not implemented yet (documented in
        # docs/header-format.md); make sure we fail loudly, not silently.
        with self.assertRaises(HeaderError) as cm:
            parse_log(synthetic("continue_cards.hdr"))
        self.assertEqual(str(cm.exception), "malformed card at line 5 (CONTINUE)")


if __name__ == "__main__":
    unittest.main()
