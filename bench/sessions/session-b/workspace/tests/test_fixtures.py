"""The real archive dumps under tests/data/ must not drift.

They are byte-for-byte copies of Kestrel archive exports; tests (and the
docs examples) depend on their exact numbers. If this fails you edited a
real dump: revert it and put your new case under tests/data/synthetic/.
"""

import hashlib
import os
import unittest

from tests.helpers import DATA


class FixtureChecksumTests(unittest.TestCase):
    def test_checksums(self):
        with open(os.path.join(DATA, "SHA256SUMS"), encoding="ascii") as fh:
            entries = [line.split() for line in fh if line.strip() and not line.startswith("#")]
        self.assertTrue(entries)
        for digest, name in entries:
            with open(os.path.join(DATA, name), "rb") as fh:
                actual = hashlib.sha256(fh.read()).hexdigest()
            self.assertEqual(actual, digest, name)


if __name__ == "__main__":
    unittest.main()
