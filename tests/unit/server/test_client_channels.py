"""What a client can be sent, read from its capabilities and initializationOptions."""

from __future__ import annotations

from lsprotocol import types

from cairn.server.commands import APPLY_EDITS_OPT_IN
from cairn.server.lsp.client_channels import CLIENT_OPTION_KEYS, ClientChannels


def test_edits_go_to_a_client_that_declares_apply_edit():
    declared = types.ClientCapabilities(workspace=types.WorkspaceClientCapabilities(apply_edit=True))
    assert ClientChannels.from_initialize(declared, None).apply_edit
    assert not ClientChannels.from_initialize(types.ClientCapabilities(), None).apply_edit


def test_a_plugin_that_applies_edits_for_a_client_library_that_cannot_say_so_opts_in():
    # ALE declares `applyEdit: false` and offers no way to change its capabilities; Cairn's Vim
    # plugin answers workspace/applyEdit itself and says so in initializationOptions.
    undeclared = types.ClientCapabilities(workspace=types.WorkspaceClientCapabilities(apply_edit=False))
    assert ClientChannels.from_initialize(undeclared, {APPLY_EDITS_OPT_IN: True}).apply_edit
    assert not ClientChannels.from_initialize(undeclared, {APPLY_EDITS_OPT_IN: "yes"}).apply_edit
    assert APPLY_EDITS_OPT_IN in CLIENT_OPTION_KEYS  # not taken for a setting
