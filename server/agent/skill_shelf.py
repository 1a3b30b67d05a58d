"""The skill catalog the agent uses now, reloaded in place when trust changes or a SKILL.md is
saved: the host holds one shelf for its whole life, so nothing is swapped into the host."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from cairn.skills.catalog import Catalog
from cairn.skills.sources import default_sources

logger = logging.getLogger(__name__)


class SkillShelf:
    """Bundled, user and (only when trusted: R16) workspace skills for one workspace."""

    def __init__(self, workspace_root: Path | None, catalog: Catalog, trusted: bool) -> None:
        self.workspace_root = workspace_root
        self.catalog = catalog
        self.trusted = trusted
        self._lock = asyncio.Lock()

    @classmethod
    async def load(cls, workspace_root: Path | None, *, trusted: bool) -> SkillShelf:
        return cls(workspace_root, await _read_catalog(workspace_root, trusted), trusted)

    async def reload(self, *, trusted: bool | None = None) -> Catalog:
        """Read the skill folders again (with the new trust, when given); returns the catalog."""
        async with self._lock:
            if trusted is not None:
                self.trusted = trusted
            self.catalog = await _read_catalog(self.workspace_root, self.trusted)
            return self.catalog

    def index_text(self) -> str:
        return self.catalog.index_text()


async def _read_catalog(workspace_root: Path | None, trusted: bool) -> Catalog:
    catalog = await Catalog.from_sources_async(default_sources(workspace_root, trusted=trusted))
    for problem in catalog.problems:
        for line in problem.lines():
            logger.warning("skill %s: %s", "skipped" if problem.skipped else "loaded", line)
    return catalog
