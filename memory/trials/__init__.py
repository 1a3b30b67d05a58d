"""Reliability trials (R8-R12) shared by the test suite (reduced counts) and bench/ (full counts)."""
