"""initialize / initialized / configuration: settings, workspace root, editor log, parent watch.

``initialize`` answers at once (R20: < 0.5 s) and starts the features' startup hooks (memory
store, skills, agent host) as one background task; commands that need them wait for it with
``server.wait_ready()``, so no request can see a half-started server (the race pygls leaves
between ``initialized`` and the first requests). ``initialized`` pulls
``workspace/configuration``. Nothing slow is imported before the reply.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable

from lsprotocol import types

from cairn.server.lsp import logs, workspace_root
from cairn.server.lsp.client_channels import CLIENT_OPTION_KEYS, ClientChannels
from cairn.server.lsp.runner import watch_parent
from cairn.server.lsp.server import CairnServer

logger = logging.getLogger(__name__)

CONFIG_TIMEOUT = 5.0
StartupHook = Callable[[CairnServer], Awaitable[None]]
SettingsListener = Callable[[CairnServer], None]


def apply_settings(server: CairnServer) -> None:
    """Re-resolve settings from every layer and tell listeners (and the user) about it."""
    from cairn.server import settings as settings_mod  # pydantic: never on the initialize path

    options = server.initialization_options
    if isinstance(options, dict):  # {"settings": {...}} or the settings themselves
        client_keys = {key: value for key, value in options.items() if key not in CLIENT_OPTION_KEYS}
        options = options.get("settings", client_keys)
    layers = [
        (settings_mod.ENVIRONMENT, settings_mod.env_layer()),
        (settings_mod.INIT_OPTIONS, options),
        (settings_mod.WORKSPACE_CONFIG, server.workspace_settings),
    ]
    server.resolved = settings_mod.resolve(layers)
    for problem in server.resolved.problems:
        logger.warning("Setting ignored: %s", problem)
    rejected = [p for p in server.resolved.problems if "default kept" in p.message]
    if rejected:
        server.show_error(
            "Cairn: some settings were invalid and defaults were used: " + "; ".join(map(str, rejected))
        )
    for listener in server.settings_listeners:
        listener(server)


async def pull_configuration(server: CairnServer) -> None:
    """Ask the client for the ``cairn`` section when it supports workspace/configuration.

    One pull at a time: a change notification that arrives while a pull is in flight was sent
    before the client answered it, so the answer already holds the change (eglot notifies
    right after ``initialized``, which would otherwise pull twice at start-up).
    """
    workspace = server.client_capabilities.workspace
    if not (workspace and workspace.configuration) or server.configuration_pull_in_flight:
        return
    server.configuration_pull_in_flight = True
    try:
        await _pull(server)
    finally:
        server.configuration_pull_in_flight = False


async def _pull(server: CairnServer) -> None:
    scope = server.workspace_root.as_uri() if server.workspace_root else None
    try:
        result = await server.request_client(
            types.WORKSPACE_CONFIGURATION,
            types.ConfigurationParams(items=[types.ConfigurationItem(section="cairn", scope_uri=scope)]),
            CONFIG_TIMEOUT,
        )
    except Exception as exc:
        logger.warning("Could not read workspace configuration: %s", exc)
        return
    section = result[0] if result else None
    server.workspace_settings = section if isinstance(section, dict) else None
    apply_settings(server)


async def resolve_settings(server: CairnServer) -> None:
    """The first startup hook: settings from every layer, pydantic imported off the loop."""
    await asyncio.to_thread(importlib.import_module, "cairn.server.settings")
    await asyncio.to_thread(importlib.import_module, "cairn.server.command_args")
    apply_settings(server)


def register(server: CairnServer) -> None:
    server.startup_hooks.append(resolve_settings)

    @server.feature(types.INITIALIZE)
    async def on_initialize(ls: CairnServer, params: types.InitializeParams) -> None:
        ls.initialization_options = params.initialization_options or {}
        ls.channels = ClientChannels.from_initialize(params.capabilities, ls.initialization_options)
        ls.workspace_root = workspace_root.from_initialize(params)
        if params.process_id:
            watch_parent(ls, params.process_id)
        forwarder = logs.EditorLogHandler(ls.window_log_message, asyncio.get_running_loop())
        forwarder.set_level_name("info")  # the configured level applies once settings resolve
        logging.getLogger().addHandler(forwarder)
        ls.settings_listeners.append(lambda s: forwarder.set_level_name(s.settings.log_level))
        ls.begin_startup()
        logger.info(
            "Cairn initialized for %s (client: %s)",
            ls.workspace_root or "no workspace",
            params.client_info.name if params.client_info else "unknown",
        )

    @server.feature(types.INITIALIZED)
    async def on_initialized(ls: CairnServer, params: types.InitializedParams) -> None:
        await pull_configuration(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_configuration(ls: CairnServer, params: types.DidChangeConfigurationParams) -> None:
        workspace = ls.client_capabilities.workspace
        if workspace and workspace.configuration:
            await pull_configuration(ls)  # pull model: the notification's payload may be empty
        elif isinstance(params.settings, dict):
            section = params.settings.get("cairn", params.settings)
            ls.workspace_settings = section if isinstance(section, dict) else None
            apply_settings(ls)
