"""The file paths a request names (named_files.py)."""

from __future__ import annotations

from cairn.server.agent.named_files import named_paths


def test_paths_with_an_extension_are_found_in_order_once():
    request = "Complete `f` in solution.py, see ./src/pkg/mod.ts and notes.md. Then solution.py again."
    assert named_paths(request) == ["solution.py", "src/pkg/mod.ts", "notes.md"]


def test_abbreviations_and_numbers_are_not_paths():
    assert named_paths("Use e.g. version 1.2 or 3.14, i.e. nothing.") == []
