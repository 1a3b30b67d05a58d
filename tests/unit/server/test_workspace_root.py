"""The workspace a lone document implies (rootUri null): its git repository, else its folder."""

from __future__ import annotations

from cairn.server.lsp.workspace_root import for_document


def test_the_enclosing_git_repository_wins(tmp_path):
    home = tmp_path / "home"
    source = home / "code" / "app" / "pkg" / "mod.py"
    source.parent.mkdir(parents=True)
    source.write_text("x = 1\n")
    (home / "code" / "app" / ".git").mkdir()
    assert for_document(source, home=home) == home / "code" / "app"


def test_without_a_repository_the_folder_is_the_workspace(tmp_path):
    home = tmp_path / "home"
    source = home / "notes" / "scratch.py"
    source.parent.mkdir(parents=True)
    source.write_text("")
    assert for_document(source, home=home) == home / "notes"


def test_the_home_directory_is_never_the_workspace(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".git").mkdir()  # a dotfiles repository
    loose = home / "loose.py"
    loose.write_text("")
    assert for_document(loose, home=home) is None
    nested = home / "notes" / "a.py"
    nested.parent.mkdir()
    nested.write_text("")
    assert for_document(nested, home=home) == home / "notes"  # not the dotfiles repository at ~
