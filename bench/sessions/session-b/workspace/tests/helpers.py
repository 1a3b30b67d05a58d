"""Shared helpers for the test-suite (run with PYTHONPATH=src)."""

import io
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
SYNTHETIC = os.path.join(DATA, "synthetic")
NIGHT = os.path.join(DATA, "night_20231114.hdr")


def data_path(*parts):
    return os.path.join(DATA, *parts)


def synthetic(name):
    return os.path.join(SYNTHETIC, name)


def lines(text):
    """Dedent-free helper: strip the leading newline of a triple-quoted block."""
    return text.lstrip("\n").splitlines()


def run_cli(argv):
    """Run nightlog.cli.main and return (status, stdout)."""
    from nightlog.cli import main

    out = io.StringIO()
    status = main(argv, out=out)
    return status, out.getvalue()
