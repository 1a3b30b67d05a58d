"""The clients' copies of the server contract stay in step with server/commands.py and the
settings model: command ids and titles, the stream opt-in key, the Vim plugin's applyEdits
opt-in, the code actions' ids (the action table), every command's argument keys (which are
required), stream event kinds, setting keys and their trust scopes, and the VS Code settings
contributed."""

from __future__ import annotations

import json
import re
import typing

import pytest

from cairn.server import action_specs, command_args, commands
from cairn.server.settings import describe_fields
from tests.e2e.clients.tap import REPO

PROTOCOL_TS = (REPO / "clients/vscode/src/protocol.ts").read_text()
PROTOCOL_LUA = (REPO / "clients/nvim/lua/cairn/protocol.lua").read_text()
PACKAGE = json.loads((REPO / "clients/vscode/package.json").read_text())
FIELDS = {row["key"]: row for row in describe_fields()}


def _block(source: str, opening: str, closing: str = "\n}") -> str:
    start = source.index(opening)
    return source[start : source.index(closing, start)]


def _ts_interfaces() -> dict[str, dict[str, bool]]:
    """Interface name -> {field: required}, inherited fields included."""
    found: dict[str, tuple[str | None, dict[str, bool]]] = {}
    for match in re.finditer(r"export interface (\w+)(?: extends (\w+))? \{(.*?)\n\}", PROTOCOL_TS, re.S):
        fields = {
            name: not optional for name, optional in re.findall(r"^\s+(\w+)(\?)?:", match.group(3), re.M)
        }
        found[match.group(1)] = (match.group(2), fields)

    def resolve(name: str) -> dict[str, bool]:
        parent, fields = found[name]
        return {**(resolve(parent) if parent else {}), **fields}

    return {name: resolve(name) for name in found}


def _python_args(model: type) -> dict[str, bool]:
    return {(info.alias or name): info.is_required() for name, info in model.model_fields.items()}


def test_command_ids_and_titles_match():
    ts = re.findall(r"\{ id: '([\w.]+)', title: '([^']+)' \}", _block(PROTOCOL_TS, "export const COMMANDS"))
    assert ts == [(spec.id, spec.title) for spec in commands.ALL_COMMANDS]
    lua = re.findall(r"^\s+\w+ = '([\w.]+)',$", _block(PROTOCOL_LUA, "M.commands = {"), re.M)
    assert sorted(lua) == sorted(spec.id for spec in commands.ALL_COMMANDS)
    assert f"STREAM_NOTIFICATION = '{commands.STREAM_NOTIFICATION}'" in PROTOCOL_TS
    assert f"M.STREAM_NOTIFICATION = '{commands.STREAM_NOTIFICATION}'" in PROTOCOL_LUA
    # both clients opt in to cairn/stream with the key the server reads
    assert f"STREAM_OPT_IN = '{commands.STREAM_OPT_IN}'" in PROTOCOL_TS
    assert f"M.STREAM_OPT_IN = '{commands.STREAM_OPT_IN}'" in PROTOCOL_LUA
    # the Vim plugin says it applies edits (ALE declares applyEdit: false) with the key the server reads
    vim = (REPO / "clients/vim/autoload/cairn.vim").read_text()
    assert f"let s:APPLY_EDITS_OPT_IN = '{commands.APPLY_EDITS_OPT_IN}'" in vim


@pytest.mark.parametrize("spec", commands.ALL_COMMANDS, ids=lambda spec: spec.id)
def test_argument_keys_match(spec):
    by_id = dict(re.findall(r"'([\w.]+)': (\w+);", _block(PROTOCOL_TS, "export interface CommandArgsById")))
    interface = by_id[spec.id]
    ts_fields = {} if interface == "NoArgs" else _ts_interfaces()[interface]
    assert ts_fields == _python_args(spec.args)


def test_action_names_match_the_action_table():
    names = re.search(r"export type ActionName = (.*);", PROTOCOL_TS).group(1)
    assert re.findall(r"'(\w+)'", names) == list(action_specs.ACTION_IDS)
    assert typing.get_args(command_args.ActionName) == action_specs.ACTION_IDS


def test_nested_argument_types_match():
    interfaces = _ts_interfaces()
    for model in (command_args.Position, command_args.Range, command_args.Diagnostic):
        assert interfaces[model.__name__] == _python_args(model), model.__name__


def test_stream_event_kinds_match():
    kinds = typing.get_args(command_args.StreamEvent.model_fields["kind"].annotation)
    assert re.search(r"export type StreamKind = (.*);", PROTOCOL_TS).group(1) == " | ".join(
        f"'{k}'" for k in kinds
    )
    lua_kinds = re.search(
        r"local KINDS = \{(.*)\}", (REPO / "clients/nvim/lua/cairn/streams.lua").read_text()
    ).group(1)
    assert sorted(re.findall(r"(\w+) = true", lua_kinds)) == sorted(kinds)
    assert set(_ts_interfaces()["StreamEvent"]) == {
        f.alias or n for n, f in command_args.StreamEvent.model_fields.items()
    }


def test_setting_keys_and_scopes_match():
    ts_keys = re.findall(r"'(\w+)'", _block(PROTOCOL_TS, "export const SETTING_KEYS", "]"))
    assert ts_keys == list(FIELDS)
    sensitive = {key for key, row in FIELDS.items() if row["scope"] == "sensitive"}
    machine = {key for key, row in FIELDS.items() if row["scope"] == "machine"}
    assert (
        set(re.findall(r"'(\w+)'", _block(PROTOCOL_TS, "export const SENSITIVE_SETTINGS", "]"))) == sensitive
    )
    assert set(re.findall(r"'(\w+)'", _block(PROTOCOL_TS, "export const MACHINE_SETTINGS", "]"))) == machine
    lua_keys = re.findall(r"'(\w+)'", _block(PROTOCOL_LUA, "M.setting_keys = {"))
    assert lua_keys == list(FIELDS)
    lua_sensitive = re.search(r"M.sensitive = \{(.*)\}", PROTOCOL_LUA).group(1)
    assert set(re.findall(r"(\w+) = true", lua_sensitive)) == sensitive


def test_vscode_settings_match_the_server():
    properties = PACKAGE["contributes"]["configuration"]["properties"]
    server_keys = {f"cairn.{key}" for key in FIELDS if key not in ("trusted", "apiKey")}
    assert server_keys <= set(properties)
    # trust comes from VS Code's workspace trust, the key from secret storage: never settings
    assert "cairn.trusted" not in properties and "cairn.apiKey" not in properties
    for key in ("shell", "logLevel"):
        literal = typing.get_args(
            describe_fields.__globals__["Settings"]
            .model_fields[{"shell": "shell", "logLevel": "log_level"}[key]]
            .annotation
        )
        assert properties[f"cairn.{key}"]["enum"] == list(literal)
    for key, row in FIELDS.items():
        if f"cairn.{key}" in properties and row["default"] is not None:
            assert properties[f"cairn.{key}"]["default"] == row["default"], key
    restricted = set(PACKAGE["capabilities"]["untrustedWorkspaces"]["restrictedConfigurations"])
    sensitive = {f"cairn.{key}" for key, row in FIELDS.items() if row["scope"] == "sensitive"} & set(
        properties
    )
    assert sensitive | {"cairn.server.pythonPath", "cairn.server.command"} <= restricted
