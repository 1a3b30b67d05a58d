"""`cairn.skills.eval`: does the SKILL.md being edited help? Evaluated from the editor.

The command answers at once with ``{evalId, status: "started"}`` (practice 17). The work runs
`cairn skills eval --json` in a child process, never in the server: the server does not import
the trainer, and the model calls and the graded code must not share the editor's event loop. The
buffer's text (unsaved edits included) is written to a temporary skill folder of the same name.
Each task the child finishes becomes a work-done progress report; its JSON report is kept for
`cairn.skills.evalResult` and summed up in a ``window/showMessage``. `cairn.cancel` with the
eval id, or the progress cancel button, kills the child's process group.

In an untrusted workspace only named task sets (``humaneval``) are accepted: a task file's
``python`` graders run the file's own code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import tempfile
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from cairn.server.commands import SKILLS_EVAL, SKILLS_EVAL_RESULT
from cairn.server.lsp.documents import uri_to_path
from cairn.server.lsp.server import CairnServer

if TYPE_CHECKING:
    from cairn.server.command_args import SkillEvalArgs, SkillEvalResultArgs
    from cairn.server.lsp.progress import ProgressReporter

logger = logging.getLogger(__name__)
KEPT = 20
NAMED_SETS = ("humaneval",)  # mirrors cairn.skills.optimize.tasksets.NAMED_SETS (not imported here)


class SkillEvalFailed(Exception):
    """The child ended without a report; the message is the tail of what it said."""


@dataclass
class EvalRecord:
    eval_id: str
    skill: str
    tasks: str
    status: str = "running"  # running, done, error, cancelled
    progress: str = ""
    report: dict[str, Any] | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "evalId": self.eval_id,
            "skill": self.skill,
            "tasks": self.tasks,
            "status": self.status,
            "progress": self.progress,
            "report": self.report,
            "error": self.error,
        }


def eval_argv(skill_folder: Path, args: SkillEvalArgs) -> list[str]:
    """The child's command line: `cairn skills eval ... --json` with this interpreter."""
    argv = [sys.executable, "-m", "cairn", "skills", "eval", str(skill_folder), "--tasks", args.tasks]
    argv += ["--against", args.against] if args.against else ["--without"]
    if args.limit is not None:
        argv += ["--limit", str(args.limit)]
    return argv + ["--seed", str(args.seed), "--json"]


def summary(report: dict[str, Any]) -> str:
    """One line for ``window/showMessage``."""
    first, second = report["arms"]
    n, cost = report["tasks"], report["cost"]
    return (
        f"Cairn: {first['name']} {first['passed']}/{n} vs {second['name']} {second['passed']}/{n} "
        f"({report['difference']:+.1%}, sign test p = {report['sign_test_p_two_sided']:.3f}); "
        f"flips {len(first['flipped_to'])}/{len(second['flipped_to'])}; "
        f"{cost['calls']} model calls, {cost['wall_seconds']:.0f} s. Details: Cairn: Show Skill Evaluation."
    )


class SkillEvals:
    """The editor's skill evaluations, bound to one server."""

    def __init__(self, server: CairnServer) -> None:
        self.server = server
        self.records: OrderedDict[str, EvalRecord] = OrderedDict()

    async def start(self, args: SkillEvalArgs) -> dict[str, Any]:
        path = uri_to_path(args.uri)
        if path is None or path.name != "SKILL.md":
            raise JsonRpcInvalidParams("cairn.skills.eval evaluates a SKILL.md file: give its uri")
        if args.tasks not in NAMED_SETS and not self.server.settings.trusted:
            raise JsonRpcInvalidParams(
                f"this workspace is not trusted: only the named task sets ({', '.join(NAMED_SETS)}) "
                "can be used, a task file's graders would run its code"
            )
        snapshot = self.server.documents.open_snapshot(args.uri)
        text = snapshot.text if snapshot is not None else await asyncio.to_thread(path.read_text, "utf-8")
        eval_id = args.eval_id or uuid.uuid4().hex
        if eval_id in self.records and self.records[eval_id].status == "running":
            raise JsonRpcInvalidParams(f"an evaluation with id {eval_id!r} is already running")
        record = EvalRecord(eval_id, path.parent.name, args.tasks)
        self.records[eval_id] = record
        while len(self.records) > KEPT:
            self.records.popitem(last=False)
        self.server.spawn(self._run(record, text, args), name=f"skill-eval:{eval_id}")
        return {"evalId": eval_id, "status": "started"}

    async def result(self, args: SkillEvalResultArgs) -> dict[str, Any]:
        if args.eval_id is not None:
            record = self.records.get(args.eval_id)
        else:
            record = next(reversed(self.records.values()), None)
        if record is None:
            raise JsonRpcInvalidParams(
                f"no skill evaluation {args.eval_id!r}" if args.eval_id else "none yet"
            )
        return record.to_json()

    async def _run(self, record: EvalRecord, text: str, args: SkillEvalArgs) -> None:
        async def work(progress: ProgressReporter) -> dict[str, Any]:
            return await self._evaluate(record, text, args, progress)

        try:
            record.report = await self.server.tasks.run(
                f"Cairn: evaluating {record.skill}", work, key=record.eval_id
            )
            record.status = "done"
            self.server.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Info, message=summary(record.report))
            )
        except asyncio.CancelledError:
            record.status = "cancelled"
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the server is closing
        except Exception as exc:  # the child's failure (no model, missing data) or ours
            record.status, record.error = "error", str(exc)
            logger.warning("Skill evaluation %s failed: %s", record.eval_id, exc)
            self.server.show_error(f"Cairn: evaluating {record.skill} failed: {exc}")

    async def _evaluate(
        self, record: EvalRecord, text: str, args: SkillEvalArgs, progress: ProgressReporter
    ) -> dict[str, Any]:
        from cairn.skills.eval_cli import parse_progress

        with tempfile.TemporaryDirectory(prefix="cairn-skill-eval-") as scratch:
            folder = Path(scratch) / record.skill
            folder.mkdir()
            (folder / "SKILL.md").write_text(text, encoding="utf-8")
            process = await asyncio.create_subprocess_exec(
                *eval_argv(folder, args),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=str(self.server.workspace_root or scratch),
                env=self._child_environment(),
                start_new_session=True,
            )
            assert process.stdout is not None and process.stderr is not None
            tail: deque[str] = deque(maxlen=15)
            try:
                stdout = asyncio.ensure_future(process.stdout.read())
                async for raw in process.stderr:
                    line = raw.decode("utf-8", "replace").rstrip()
                    parsed = parse_progress(line)
                    if parsed is None:
                        tail.append(line)
                        continue
                    done, total, passes = parsed
                    record.progress = f"{done}/{total} tasks; passed: {passes}"
                    progress.report(record.progress, percentage=100 * done // max(1, total))
                out = await stdout
                code = await process.wait()
            except BaseException:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                with contextlib.suppress(Exception):
                    await asyncio.shield(process.wait())
                raise
        if code != 0:
            said = "\n".join(line for line in tail if line.strip())
            raise SkillEvalFailed(said or f"cairn skills eval exited with code {code}")
        return json.loads(out)

    def _child_environment(self) -> dict[str, str]:
        """The server's environment with the model the editor configured."""
        settings = self.server.settings
        env = dict(os.environ)
        if settings.model:
            env["CAIRN_MODEL"] = settings.model
        if settings.api_base:
            env["CAIRN_API_BASE"] = settings.api_base
        if settings.api_key is not None:
            env["CAIRN_API_KEY"] = settings.api_key.get_secret_value()
        return env


def register(server: CairnServer) -> None:
    evals = SkillEvals(server)
    server.register_service_command(SKILLS_EVAL, evals.start)
    server.register_service_command(SKILLS_EVAL_RESULT, evals.result)
