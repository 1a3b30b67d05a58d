"""A simulated agent backend whose ground truth is known, for tests, benches and offline demos.

The world has rules (lines a skill may contain). A task passes only if the skill contains every
rule it ``needs`` (task ``meta.needs``) and no harmful rule that breaks its family; neutral rules
change nothing. Like a real model on borderline inputs, the outcome then flips with probability
``noise``, re-drawn whenever the skill text changes (any edit re-rolls borderline tasks). The
simulated optimizer answers the trainer's real prompts: it reads the failing families, the skill,
the edit limit and the rejected-edits ledger, and proposes a seeded mix of helpful, neutral and
harmful edits, with the occasional leaked answer or placeholder for the linter to catch. Asked for
one rule about one kind of failure (the rules proposer), it draws from the same mix for the
families in the examples and dresses its reply as small models do (bullets, quotes, a preamble,
a fence), or answers with code now and then.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cairn.skills.optimize.journal import read_records
from cairn.skills.optimize.ports import RunResult, Usage
from cairn.skills.optimize.tasks import Task
from cairn.skills.textstats import approx_tokens, normalize_rule

KINDS = ("helpful", "neutral", "harmful")
WRONG_ANSWER = "I am not sure."
PLACEHOLDER_RULE = "- TODO: describe the convention for this kind of task."
# How small models really wrap the one rule asked for (the rules proposer must read them all).
RULE_DRESSES = (
    "{rule}",
    "- {rule}",
    "Rule: {rule}",
    '"{rule}"',
    "Sure! Here is a new instruction for the skill:\n\n1. **{rule}**",
    "```\n{rule}\n```",
    "New instruction: {rule}\n\nThis keeps the agent from failing this way on other tasks.",
)


@dataclass(frozen=True)
class SimRule:
    """A rule line. helpful: ``families`` it is needed by; harmful: ``families`` it breaks."""

    id: str
    text: str
    kind: str
    families: tuple[str, ...] = ()


class SimWorld:
    """The rules and the judgement of a skill against a task."""

    def __init__(self, rules: list[SimRule]) -> None:
        self.rules = {rule.id: rule for rule in rules}

    @classmethod
    def load(cls, path: Path) -> SimWorld:
        """Rules from a JSONL file of ``{"id", "text", "kind", "families"}`` lines."""
        rules = [
            SimRule(r["id"], r["text"], r["kind"], tuple(r.get("families", ())))
            for r in read_records(path)
            if r.get("kind") in KINDS
        ]
        if not rules:
            raise ValueError(f"{path}: no simulated rules")
        return cls(rules)

    def of_kind(self, kind: str) -> list[SimRule]:
        return [r for r in self.rules.values() if r.kind == kind]

    @staticmethod
    def contains(skill_text: str, rule: SimRule) -> bool:
        return normalize_rule(rule.text) in normalize_rule(skill_text)

    def deterministic_pass(self, skill_text: str, task: Task) -> bool:
        """The outcome before noise: needed rules present, no harmful rule for the family."""
        needs = [self.rules[r] for r in task.meta.get("needs", []) if r in self.rules]
        if not all(self.contains(skill_text, rule) for rule in needs):
            return False
        return not any(
            task.family in rule.families and self.contains(skill_text, rule)
            for rule in self.of_kind("harmful")
        )

    def classify(self, added_text: str) -> str:
        """Ground truth of an edit's added text: harmful beats helpful beats neutral."""
        kinds = {r.kind for r in self.rules.values() if normalize_rule(r.text) in normalize_rule(added_text)}
        return "harmful" if "harmful" in kinds else "helpful" if "helpful" in kinds else "neutral"


def _unit(*parts: Any) -> float:
    digest = hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def passing_output(task: Task) -> str:
    """An output that passes the task's grader (``meta.pass_output`` or the expected value)."""
    if "pass_output" in task.meta:
        return str(task.meta["pass_output"])
    return task.expected if isinstance(task.expected, str) else json.dumps(task.expected)


class SimulatedTarget:
    """TargetRunner over a :class:`SimWorld`."""

    def __init__(self, world: SimWorld, *, noise: float = 0.03, seed: int = 0) -> None:
        self.world, self.noise, self.seed = world, noise, seed
        self.calls = 0

    async def run(self, skill_text: str, task: Task) -> RunResult:
        self.calls += 1
        passed = self.world.deterministic_pass(skill_text, task)
        skill_digest = hashlib.sha256(skill_text.encode("utf-8")).hexdigest()
        if _unit(self.seed, task.id, skill_digest) < self.noise:
            passed = not passed
        output = passing_output(task) if passed else WRONG_ANSWER
        usage = Usage(approx_tokens(skill_text) + approx_tokens(task.input) + 20, approx_tokens(output))
        return RunResult(output, usage)


def _section(text: str, tag: str) -> str:
    match = re.search(rf"<{tag}>\n?(.*?)</{tag}>", text, re.DOTALL)
    return match.group(1) if match else ""


@dataclass(frozen=True)
class ProposalMix:
    """Probabilities of each kind of proposed edit (the rest: placeholders)."""

    helpful: float = 0.45
    neutral: float = 0.25
    harmful: float = 0.2
    leak: float = 0.05


class SimulatedOptimizer:
    """OptimizerModel over a :class:`SimWorld`; exposes cumulative ``usage``."""

    def __init__(self, world: SimWorld, *, seed: int = 0, mix: ProposalMix = ProposalMix()) -> None:
        self.world, self.seed, self.mix = world, seed, mix
        self.usage = Usage()
        self.calls = 0

    async def complete(self, messages: list[dict], *, max_tokens: int | None = None) -> str:
        self.calls += 1
        prompt = "\n".join(str(m.get("content", "")) for m in messages)
        kind = re.search(r"^Task: (\S+)", prompt, re.MULTILINE)
        if kind and kind.group(1) == "reflect-failures":
            families = sorted(set(re.findall(r"^family: (\S+)", _section(prompt, "results"), re.MULTILINE)))
            reply = f"Failing families: {', '.join(families) or 'none'}"
        elif kind and kind.group(1) == "reflect-successes":
            reply = "Keep the rules that the passing tasks rely on."
        elif kind and kind.group(1) == "propose-rule":
            reply = self._propose_rule(prompt)
        else:
            reply = self._propose(prompt)
        self.usage = self.usage + Usage(approx_tokens(prompt), approx_tokens(reply))
        return reply

    def _rng(self, prompt: str) -> random.Random:
        return random.Random(hashlib.sha256(f"{self.seed}|{prompt}".encode()).hexdigest())

    def _pools(self, skill: str, rejected: str, failing: set[str]) -> dict[str, list[SimRule]]:
        """Rules not in the skill and not rejected yet; helpful ones only for failing families."""
        rejected = normalize_rule(rejected)

        def fresh(rules: list[SimRule]) -> list[SimRule]:
            return [
                r
                for r in rules
                if not self.world.contains(skill, r) and normalize_rule(r.text) not in rejected
            ]

        return {
            "helpful": fresh([r for r in self.world.of_kind("helpful") if set(r.families) & failing]),
            "neutral": fresh(self.world.of_kind("neutral")),
            "harmful": fresh(self.world.of_kind("harmful")),
        }

    def _draw(self, rng: random.Random, pools: dict[str, list[SimRule]], shown: list[str]) -> str:
        """One edit's text by the proposal mix (a drawn rule leaves its pool)."""
        roll, mix = rng.random(), self.mix
        if roll < mix.helpful and pools["helpful"]:
            return pools["helpful"].pop(rng.randrange(len(pools["helpful"]))).text
        if roll < mix.helpful + mix.neutral and pools["neutral"]:
            return pools["neutral"].pop(rng.randrange(len(pools["neutral"]))).text
        if roll < mix.helpful + mix.neutral + mix.harmful and pools["harmful"]:
            return pools["harmful"].pop(rng.randrange(len(pools["harmful"]))).text
        if roll < mix.helpful + mix.neutral + mix.harmful + mix.leak and shown:
            return f"- When unsure, answer {rng.choice(shown).strip()}."
        return PLACEHOLDER_RULE

    def _propose(self, prompt: str) -> str:
        rng = self._rng(prompt)
        failing = set(re.findall(r"[\w-]+", _section(prompt, "failure_reflection").partition(":")[2]))
        pools = self._pools(_section(prompt, "skill"), _section(prompt, "rejected"), failing)
        limit = int(_section(prompt, "max_edits").strip() or 1)
        shown = re.findall(r"^expected: (.+)$", _section(prompt, "shown_tasks"), re.MULTILINE)
        edits = [
            {"op": "append", "text": self._draw(rng, pools, shown)}
            for _ in range(rng.randint(1, max(1, limit)))
        ]
        return json.dumps({"edits": edits})

    def _propose_rule(self, prompt: str) -> str:
        """One rule for one kind of failure, dressed the way small models dress their replies."""
        rng = self._rng(prompt)
        examples = _section(prompt, "examples")
        families = {f for r in self.world.rules.values() for f in r.families}
        failing = families & set(re.findall(r"[\w-]+", examples))
        pools = self._pools(_section(prompt, "skill"), _section(prompt, "rejected"), failing)
        shown = re.findall(r"^expected: (.+)$", examples, re.MULTILINE)
        text = self._draw(rng, pools, shown)
        if text == PLACEHOLDER_RULE and rng.random() < 0.5:
            return "```python\ndef solve(value):\n    return value\n```"
        rule = text.removeprefix("- ")
        dress = rng.choice(RULE_DRESSES)
        return dress.format(rule=rule)
