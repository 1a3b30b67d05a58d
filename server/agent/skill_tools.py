"""`load_skill` and `read_skill_resource` as agent tools (progressive disclosure of skills).

The catalog's own methods (cairn.skills.agent_tools) carry the docstrings the model reads; this
module only adapts them to the tool registry and runs the file reads off the event loop.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from cairn.server.agent.tools.base import Tool, ToolRegistry, ToolResult, error_result
from cairn.server.agent.tools.context import ToolContext
from cairn.skills.agent_tools import SkillTools
from cairn.skills.errors import SkillError

if TYPE_CHECKING:
    from cairn.skills.catalog import Catalog


def skill_registry(catalog: Catalog) -> ToolRegistry:
    """The two skill tools bound to ``catalog``."""
    skills = SkillTools(catalog)

    async def load_skill(ctx: ToolContext, name: str) -> ToolResult:
        try:
            return ToolResult(await asyncio.to_thread(skills.load_skill, name))
        except SkillError as exc:
            return error_result(str(exc))

    async def read_skill_resource(ctx: ToolContext, name: str, path: str) -> ToolResult:
        try:
            return ToolResult(await asyncio.to_thread(skills.read_skill_resource, name, path))
        except SkillError as exc:
            return error_result(str(exc))

    load_skill.__doc__ = SkillTools.load_skill.__doc__
    read_skill_resource.__doc__ = SkillTools.read_skill_resource.__doc__
    return ToolRegistry([Tool.from_function(load_skill), Tool.from_function(read_skill_resource)])
