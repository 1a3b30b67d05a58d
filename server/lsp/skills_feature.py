"""Skills in the editor: the catalog the agent uses, commands to list and open skills, and
diagnostics on SKILL.md files as they are typed.

Workspace skills (`.cairn/skills/`) load only in a trusted workspace (R16); the catalog is
rebuilt when trust changes or a SKILL.md is saved. The skills package is imported by the
startup hook in a worker thread, off the path of the ``initialize`` reply.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from cairn.server.commands import SKILLS_LIST, SKILLS_OPEN
from cairn.server.lsp.documents import path_to_uri, uri_to_path
from cairn.server.lsp.server import CairnServer

if TYPE_CHECKING:
    from cairn.server.command_args import NoArgs, SkillOpenArgs
    from cairn.skills.catalog import Catalog
    from cairn.skills.problems import Problem

logger = logging.getLogger(__name__)
SKILL_FILE = "SKILL.md"


def diagnostic(problem: Problem) -> types.Diagnostic:
    rng = problem.range
    return types.Diagnostic(
        range=types.Range(
            start=types.Position(line=rng.start_line, character=rng.start_char),
            end=types.Position(line=rng.end_line, character=rng.end_char),
        ),
        message=problem.message,
        severity=types.DiagnosticSeverity.Error if problem.is_error else types.DiagnosticSeverity.Warning,
        source="cairn-skills",
        code=problem.key,
    )


def skill_diagnostics(path: Path, text: str) -> list[types.Diagnostic]:
    """Problems of a SKILL.md's current (possibly unsaved) text."""
    from cairn.skills.resources import resource_exists
    from cairn.skills.validation import validate_skill_text

    folder = path.parent
    problems = validate_skill_text(
        text, folder.name, resource_exists=lambda rel: resource_exists(folder, rel)
    )
    return [diagnostic(problem) for problem in problems]


class SkillsFeature:
    def __init__(self, server: CairnServer) -> None:
        self.server = server
        self.catalog: Catalog | None = None
        self._trusted: bool | None = None

    async def load(self, server: CairnServer) -> None:
        catalog_module = await asyncio.to_thread(importlib.import_module, "cairn.skills.catalog")
        from cairn.skills.sources import default_sources

        Catalog = catalog_module.Catalog  # the class, imported late
        self._trusted = server.settings.trusted
        self.catalog = await Catalog.from_sources_async(
            default_sources(server.workspace_root, trusted=self._trusted)
        )
        for problem in self.catalog.problems:
            for line in problem.lines():
                logger.warning("skill %s: %s", "skipped" if problem.skipped else "loaded", line)
        if server.agent_host is not None:
            server.agent_host.skills = self.catalog

    def on_settings(self, server: CairnServer) -> None:
        if self._trusted is not None and server.settings.trusted != self._trusted:
            server.spawn(self.load(server), name="skills-reload")

    async def list(self, _: NoArgs) -> dict[str, Any]:
        catalog = self._require()
        skills = []
        for entry in catalog.precedence():
            skill = catalog.get(entry.name)
            skills.append(
                {
                    "name": entry.name,
                    "description": skill.description,
                    "source": entry.source,
                    "path": str(entry.path) if entry.path else None,
                    "uri": path_to_uri(entry.path) if entry.path else None,
                    "shadowed": [
                        {"source": s.source, "path": str(s.path) if s.path else None} for s in entry.shadowed
                    ],
                }
            )
        problems = [
            {"path": str(p.path), "source": p.source, "skipped": p.skipped, "messages": p.lines()}
            for p in catalog.problems
        ]
        return {"skills": skills, "problems": problems}

    async def open(self, args: SkillOpenArgs) -> dict[str, Any]:
        from cairn.skills.errors import SkillError

        catalog = self._require()
        try:
            skill = catalog.get(args.name)
        except SkillError as exc:
            raise ValueError(str(exc)) from exc
        if skill.path is None:
            raise ValueError(f"skill {args.name!r} has no file")
        uri = path_to_uri(skill.path)
        shown = False
        window = self.server.client_capabilities.window
        if window and window.show_document and window.show_document.support:
            result = await self.server.window_show_document_async(
                types.ShowDocumentParams(uri=uri, take_focus=True)
            )
            shown = bool(result and result.success)
        return {"name": skill.name, "uri": uri, "shown": shown}

    def _require(self) -> Catalog:
        if self.catalog is None:
            raise RuntimeError("skills are not loaded yet")
        return self.catalog

    def publish(self, uri: str, text: str | None) -> None:
        path = uri_to_path(uri)
        if path is None or path.name != SKILL_FILE:
            return
        found = skill_diagnostics(path, text) if text is not None else []
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=found)
        )


def register(server: CairnServer) -> None:
    feature = SkillsFeature(server)
    server.startup_hooks.append(feature.load)
    server.settings_listeners.append(feature.on_settings)
    server.register_service_command(SKILLS_LIST, feature.list)
    server.register_service_command(SKILLS_OPEN, feature.open)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: CairnServer, params: types.DidOpenTextDocumentParams) -> None:
        if params.text_document.uri.endswith(SKILL_FILE):
            await ls.wait_ready()  # the validator is imported at startup
            snapshot = ls.documents.open_snapshot(params.text_document.uri)
            feature.publish(params.text_document.uri, snapshot.text if snapshot else None)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: CairnServer, params: types.DidChangeTextDocumentParams) -> None:
        if params.text_document.uri.endswith(SKILL_FILE):
            await ls.wait_ready()
            snapshot = ls.documents.open_snapshot(params.text_document.uri)
            if snapshot is not None:
                feature.publish(params.text_document.uri, snapshot.text)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: CairnServer, params: types.DidSaveTextDocumentParams) -> None:
        path = uri_to_path(params.text_document.uri)
        if path is not None and path.name == SKILL_FILE:
            await feature.load(ls)  # an edited skill takes effect at once

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: CairnServer, params: types.DidCloseTextDocumentParams) -> None:
        feature.publish(params.text_document.uri, None)
