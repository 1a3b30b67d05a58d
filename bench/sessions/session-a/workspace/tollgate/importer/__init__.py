"""Nightly carrier manifest import (see nightly.py)."""
