"""The built-in tool set, as registries the agent loop (and the lead's memory/skill tools) compose."""

from __future__ import annotations

from cairn.server.agent.tools.base import DEFAULT_MAX_OUTPUT_CHARS, Tool, ToolFunction, ToolRegistry
from cairn.server.agent.tools.edit import create_file, propose_edit
from cairn.server.agent.tools.shell import run_command
from cairn.server.agent.tools.workspace import list_files, read_file, search

READ_TOOLS: tuple[ToolFunction, ...] = (read_file, list_files, search)
EDIT_TOOLS: tuple[ToolFunction, ...] = (propose_edit, create_file)
SHELL_TOOLS: tuple[ToolFunction, ...] = (run_command,)


def workspace_registry(
    *, edits: bool = True, shell: bool = True, max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS
) -> ToolRegistry:
    """Reading tools, plus editing and ``run_command`` unless turned off.

    Pass ``shell=False`` for untrusted workspaces so the model is not even offered the shell
    (``run_command`` also refuses by itself when ``ctx.trusted`` is False).
    """
    tools = [Tool.from_function(f) for f in READ_TOOLS]
    changing = (EDIT_TOOLS if edits else ()) + (SHELL_TOOLS if shell else ())
    tools += [Tool.from_function(f, mutating=True) for f in changing]
    return ToolRegistry(tools, max_output_chars=max_output_chars)
