"""Composition root: the only module that knows every feature, in the order they register.

Nothing registers itself at import time; build_server() wires an explicit list, so what the
server does is readable here and a test can build a server with a subset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cairn.server.lsp import (
    agent_commands,
    code_actions,
    lifecycle,
    memory_feature,
    skill_eval_feature,
    skills_feature,
    status,
)
from cairn.server.lsp.server import CairnServer

Feature = Callable[[CairnServer], None]

FEATURES: tuple[Feature, ...] = (
    lifecycle.register,  # first: settings and startup hooks others rely on
    status.register,
    code_actions.register,
    agent_commands.register,  # its startup hook builds the agent host memory and skills plug into
    memory_feature.register,
    skills_feature.register,
    skill_eval_feature.register,
)


def build_server(features: Sequence[Feature] = FEATURES) -> CairnServer:
    """A fresh server with ``features`` registered, ready for runner.run()."""
    server = CairnServer()
    for register in features:
        register(server)
    return server
