"""The training loop: batches, proposals, lint, the gate, the ledger, the budget, resume.

Each step runs the target on a training batch, asks the optimizer for at most L edits (L decays
from ``max_edits_start`` to ``max_edits_end``; ``TrainConfig.proposer`` says how: `proposer.py`
or `rule_proposer.py`), lints them into one candidate and lets the gate decide. The state is
written to the event log after every step; a run started again on the same folder resumes after
the last completed step and, with the response cache, finishes exactly as an uninterrupted run
would.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cairn.skills.errors import SkillError
from cairn.skills.optimize import proposer as reflective
from cairn.skills.optimize.budget import Budget, BudgetExhausted
from cairn.skills.optimize.cache import ResponseCache
from cairn.skills.optimize.candidates import Limits, build_candidate
from cairn.skills.optimize.edits import Edit, EditError, apply_edit
from cairn.skills.optimize.estimate import Estimate, estimate_run
from cairn.skills.optimize.executor import RolloutExecutor
from cairn.skills.optimize.gate import Gate, GateConfig, PairedGate
from cairn.skills.optimize.graders import Grade
from cairn.skills.optimize.journal import JsonlWriter, read_records
from cairn.skills.optimize.ledger import GATE_PREFIX, LINT_PREFIX, Rejection
from cairn.skills.optimize.metered import MeteredModels
from cairn.skills.optimize.ports import OptimizerModel, TargetRunner
from cairn.skills.optimize.progress import NullProgress, Progress
from cairn.skills.optimize.report import unified_diff, write_outputs
from cairn.skills.optimize.rule_proposer import propose_rules
from cairn.skills.optimize.splits import Splits, split_tasks
from cairn.skills.optimize.state import TrainState
from cairn.skills.optimize.tasks import Task
from cairn.skills.validation import validate_skill_text

log = logging.getLogger(__name__)

EVENTS_FILE = "events.jsonl"
CACHE_FILE = "cache.jsonl"
# How edits are proposed: "reflective" (three calls, JSON edits with anchors) or "rules" (one
# short call per kind of failure, one appended rule each: for small optimizer models).
PROPOSERS = ("reflective", "rules")
DEFAULT_PROPOSER = "reflective"


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (part of its fingerprint)."""

    epochs: int = 2
    batch_size: int = 8
    seed: int = 0
    max_edits_start: int = 4
    max_edits_end: int = 2
    max_changed_tokens: int = 300
    max_skill_tokens: int = 5000
    max_calls: int | None = None
    max_tokens: int | None = None
    target_max_tokens: int = 512
    optimizer_max_tokens: int = 1024
    train_fraction: float = 0.3
    validation_fraction: float = 0.5
    target_model: str = "simulated"
    optimizer_model: str = "simulated"
    gate: GateConfig = field(default_factory=GateConfig)
    proposer: str = DEFAULT_PROPOSER

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise SkillError("epochs and batch size must be at least 1")
        if not 1 <= self.max_edits_end <= self.max_edits_start:
            raise SkillError("edit limits need 1 <= max_edits_end <= max_edits_start")
        if self.proposer not in PROPOSERS:
            raise SkillError(f"the proposer must be one of {', '.join(PROPOSERS)}, not {self.proposer!r}")

    def fingerprint_dict(self) -> dict[str, Any]:
        """The settings as the run's fingerprint sees them.

        ``proposer`` came after runs existed: at its default it is left out, so a run folder
        started before it still resumes; any other proposer is a different run.
        """
        data = asdict(self)
        if data["proposer"] == DEFAULT_PROPOSER:
            del data["proposer"]
        return data

    def optimizer_calls_per_step(self) -> int:
        """The most optimizer calls one step makes (rules: one per failure group, up to L)."""
        return self.max_edits_start if self.proposer == "rules" else reflective.CALLS_PER_STEP


def edit_limit(step: int, total_steps: int, start: int, end: int) -> int:
    """L for a 1-based ``step``: linear decay from ``start`` to ``end`` over the run."""
    if total_steps <= 1:
        return start
    return round(start - (start - end) * (step - 1) / (total_steps - 1))


def batch_schedule(
    train: tuple[Task, ...], epochs: int, batch_size: int, seed: int
) -> list[tuple[int, list[Task]]]:
    """(epoch, batch) for every step: each epoch reshuffles the training split by seed."""
    schedule = []
    for epoch in range(epochs):
        order = list(train)
        random.Random(f"cairn-epoch:{seed}:{epoch}").shuffle(order)
        schedule += [(epoch, order[i : i + batch_size]) for i in range(0, len(order), batch_size)]
    return schedule


def _rate(grades: list[Grade]) -> float:
    return round(sum(g.passed for g in grades) / max(1, len(grades)), 6)


class Trainer:
    """One training run in ``run_dir`` (outputs, event log and, by default, the cache live there)."""

    def __init__(
        self,
        *,
        skill_text: str,
        folder_name: str,
        tasks: list[Task],
        target: TargetRunner,
        optimizer: OptimizerModel,
        config: TrainConfig,
        run_dir: Path,
        concurrency: int = 4,
        progress: Progress | None = None,
        cache_path: Path | None = None,
        gate: Gate | None = None,
        executor: RolloutExecutor | None = None,
    ) -> None:
        """``executor`` runs and grades the target (default: in this process, ``concurrency`` at a
        time); it does not change any result, so a run may resume under another executor."""
        errors = [p.format("SKILL.md") for p in validate_skill_text(skill_text, folder_name) if p.is_error]
        if errors:
            raise SkillError("the starting skill is invalid:\n" + "\n".join(errors))
        self.skill_text, self.folder_name, self.config = skill_text, folder_name, config
        self.splits: Splits = split_tasks(
            tasks, config.seed, config.train_fraction, config.validation_fraction
        )
        self.schedule = batch_schedule(self.splits.train, config.epochs, config.batch_size, config.seed)
        self.run_dir = Path(run_dir)
        self.gate: Gate = gate or PairedGate(config.gate)
        self.progress = progress or NullProgress()
        self.cache = ResponseCache(cache_path or self.run_dir / CACHE_FILE)
        self.models = MeteredModels(
            target,
            optimizer,
            cache=self.cache,
            budget=Budget(config.max_calls, config.max_tokens),
            target_name=config.target_model,
            optimizer_name=config.optimizer_model,
            target_max_tokens=config.target_max_tokens,
            optimizer_max_tokens=config.optimizer_max_tokens,
            concurrency=concurrency,
            executor=executor,
        )
        self.fingerprint = self._fingerprint(tasks)

    def _fingerprint(self, tasks: list[Task]) -> str:
        payload = {
            "config": self.config.fingerprint_dict(),
            "skill": self.skill_text,
            "folder": self.folder_name,
            "tasks": [[t.id, t.family, t.input, t.expected, asdict(t.grader)] for t in tasks],
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    def estimate(self) -> Estimate:
        """The run's worst-case cost (see :mod:`estimate`)."""
        cfg = self.config
        return estimate_run(
            self.splits,
            len(self.schedule),
            cfg.batch_size,
            cfg.max_edits_start,
            len(self.skill_text.encode()),
            min(
                len(self.skill_text.encode()) + len(self.schedule) * cfg.max_changed_tokens * 6,
                cfg.max_skill_tokens * 6,
            ),
            cfg.target_max_tokens,
            cfg.optimizer_max_tokens,
            cfg.optimizer_calls_per_step(),
        )

    def _keep_for_final(self, *texts: str) -> None:
        """Hold back the final test run's worst case, for the longest skill that may win."""
        calls, tokens = max(self.models.target_bound(t, self.splits.test) for t in texts)
        self.models.keep_calls, self.models.keep_tokens = calls, tokens

    def _restore(self) -> TrainState | None:
        events = read_records(self.run_dir / EVENTS_FILE)
        if not events:
            return None
        if events[0].get("type") != "start" or events[0].get("fingerprint") != self.fingerprint:
            raise SkillError(
                f"{self.run_dir} holds a different training run (other skill, tasks or settings); "
                "choose another output folder"
            )
        for event in events:
            self.models.charged.update(event.get("charged", []))
        with_state = [e for e in events if "state" in e]
        return TrainState.from_dict(with_state[-1]["state"]) if with_state else None

    def _record(self, writer: JsonlWriter, kind: str, state: TrainState, charged_before: set[str]) -> None:
        state.budget = self.models.budget
        new = sorted(self.models.charged - charged_before)
        writer.append({"type": kind, "state": state.to_dict(), "charged": new})

    async def run(self) -> TrainState:
        """Train (or resume, or just rewrite the outputs of a finished run); returns the state."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        state = self._restore()
        writer = JsonlWriter(self.run_dir / EVENTS_FILE, durable=True)
        try:
            if state is None:
                writer.append(
                    {"type": "start", "fingerprint": self.fingerprint, "splits": self.splits.sizes()}
                )
                state = await self._baseline(writer)
            else:
                self.models.budget = state.budget
            if state.status == "running":
                await self._steps(state, writer)
            if state.test_end is None:  # also after a budget stop, and on resuming one
                await self._finish(state, writer)
        finally:
            writer.close()
            self.cache.close()
            self.progress.close()
        write_outputs(self.run_dir, state, self.splits, self.config, self.folder_name)
        return state

    async def _baseline(self, writer: JsonlWriter) -> TrainState:
        state = TrainState(current=self.skill_text, budget=self.models.budget)
        self._keep_for_final(self.skill_text)
        before = set(self.models.charged)
        try:
            test = await self.models.run_tasks(self.skill_text, list(self.splits.test))
            validation = await self.models.run_tasks(self.skill_text, list(self.splits.validation))
        except BudgetExhausted as exc:
            raise SkillError(f"the budget cannot even cover the starting evaluation: {exc}") from None
        state.test_start = _rate(await self.models.grade(self.splits.test, test))
        state.history.append(
            {
                "step": 0,
                "epoch": 0,
                "train": None,
                "validation": _rate(await self.models.grade(self.splits.validation, validation)),
                "decision": "start",
            }
        )
        self._record(writer, "baseline", state, before)
        return state

    async def _steps(self, state: TrainState, writer: JsonlWriter) -> None:
        total = len(self.schedule)
        self.progress.start(total, state.step, state.history[-1])
        while state.step < total:
            before = set(self.models.charged)
            try:
                row = await self._step(state, state.step + 1)
            except BudgetExhausted as exc:
                state.status = f"stopped: {exc}"
                self._record(writer, "budget", state, before)
                return
            state.step += 1
            state.history.append(row)
            self._record(writer, "step", state, before)
            self.progress.update(state.step, row, state.budget)

    async def _step(self, state: TrainState, step: int) -> dict[str, Any]:
        cfg = self.config
        epoch, batch = self.schedule[step - 1]
        self._keep_for_final(state.current)
        runs = await self.models.run_tasks(state.current, batch)
        graded = list(zip(batch, runs, await self.models.grade(batch, runs)))
        limits = Limits(
            edit_limit(step, len(self.schedule), cfg.max_edits_start, cfg.max_edits_end),
            cfg.max_changed_tokens,
            cfg.max_skill_tokens,
        )
        if cfg.proposer == "rules":
            proposal = await propose_rules(
                self.models, state.current, graded, max_edits=limits.max_edits, ledger=state.ledger
            )
        else:
            proposal = await reflective.propose(
                self.models,
                state.current,
                graded,
                max_edits=limits.max_edits,
                max_changed_tokens=cfg.max_changed_tokens,
                max_skill_tokens=cfg.max_skill_tokens,
                ledger=state.ledger,
            )
        shown = list(self.splits.train)  # everything the optimizer may have seen
        candidate = build_candidate(
            state.current,
            proposal.edits,
            limits,
            folder_name=self.folder_name,
            shown_tasks=shown,
            ledger=state.ledger,
        )
        for edit, reason in candidate.linted:
            state.ledger.add(Rejection(step, edit, LINT_PREFIX + reason))
        state.skipped += [{"step": step, "edit": e.to_dict(), "reason": r} for e, r in candidate.skipped]
        row: dict[str, Any] = {
            "step": step,
            "epoch": epoch,
            "train": round(sum(g.passed for _, _, g in graded) / len(graded), 6),
            "max_edits": limits.max_edits,
            "asked": proposal.asked,
            "proposed": len(proposal.edits),  # the edits that parsed
            "parse_errors": proposal.errors,
        }
        if not candidate.kept:
            reason = (
                "no failures in the batch to propose a rule for"
                if proposal.asked == 0
                else "no proposed edit survived the limits and the lint"
            )
            row.update(decision="no-edit", reason=reason, edits=[])
        else:
            row["edits"] = [await self._gate_edit(state, step, edit) for edit in candidate.kept]
            accepted = sum(e["decision"] == "accepted" for e in row["edits"])
            row.update(
                decision="accepted" if accepted else "rejected",
                reason=f"{accepted} of {len(row['edits'])} edits accepted",
            )
        self._keep_for_final(state.current)
        validation = await self.models.run_tasks(state.current, list(self.splits.validation))
        row["validation"] = _rate(await self.models.grade(self.splits.validation, validation))
        return row

    async def _gate_edit(self, state: TrainState, step: int, edit: Edit) -> dict[str, Any]:
        """Gate one edit on top of the current skill, so every decision is about one edit."""
        try:
            candidate = apply_edit(state.current, edit)
        except EditError as exc:  # its anchor came from an edit rejected earlier in this step
            return {"edit": edit.to_dict(), "decision": "skipped", "reason": str(exc)}
        self._keep_for_final(state.current, candidate)
        verdict = await self.gate.judge(self.models, state.current, candidate, self.splits)
        if verdict.accepted:
            state.accepted.append(
                {
                    "step": step,
                    "edits": [edit.to_dict()],
                    "diff": unified_diff(state.current, candidate, step),
                }
            )
            state.current = candidate
        else:
            state.ledger.add(Rejection(step, edit, GATE_PREFIX + verdict.reason))
        return {
            "edit": edit.to_dict(),
            "decision": "accepted" if verdict.accepted else "rejected",
            "reason": verdict.reason,
            "gate": verdict.gate,
            "confirm": verdict.confirm,
            "p_value": round(verdict.p_value, 6),
        }

    async def _finish(self, state: TrainState, writer: JsonlWriter) -> None:
        before = set(self.models.charged)
        test = await self.models.run_tasks(state.current, list(self.splits.test), use_reserve=True)
        state.test_end = _rate(await self.models.grade(self.splits.test, test))
        if state.status == "running":
            state.status = "completed"
        self._record(writer, "end", state, before)
