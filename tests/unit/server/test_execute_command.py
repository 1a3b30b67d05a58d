"""workspace/executeCommand: the client's bad arguments are -32602, our own broken spec is not."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from cairn.server.commands import ALL_COMMANDS, CommandSpec
from cairn.server.lsp.server import CairnServer


async def _handler(args: object) -> None:
    return None


def _dispatch(server: CairnServer, command: str, arguments: list) -> None:
    """Run the protocol's executeCommand handler up to the point where it validates arguments."""
    handler = server.protocol.lsp_workspace__execute_command(
        types.ExecuteCommandParams(command=command, arguments=arguments)
    )
    next(handler)  # validation happens before the first yield


async def test_arguments_the_client_got_wrong_are_invalid_params():
    server = CairnServer()
    server.register_command(CommandSpec("cairn.test.search", "MemorySearchArgs", "Search"), _handler)
    for arguments in ([{"query": ""}], ["not an object"], [{"query": 3}]):
        with pytest.raises(JsonRpcInvalidParams):
            _dispatch(server, "cairn.test.search", arguments)


async def test_a_spec_naming_no_argument_model_is_our_bug_not_the_clients():
    server = CairnServer()
    server.register_command(CommandSpec("cairn.test.broken", "NoSuchArgs", "Broken"), _handler)
    # Before: the lookup failure was caught with the validation error and answered -32602
    # ("Invalid arguments"), blaming the client. Now it propagates and is answered -32603.
    with pytest.raises(TypeError, match="NoSuchArgs"):
        _dispatch(server, "cairn.test.broken", [{}])


def test_every_command_names_a_pydantic_argument_model():
    from pydantic import BaseModel

    for spec in ALL_COMMANDS:
        assert issubclass(spec.args, BaseModel), spec.id
