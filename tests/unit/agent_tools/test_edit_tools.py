"""propose_edit / create_file against the sinks, and the CLI's OverlaySink (staged, or written through)."""

from __future__ import annotations

import pytest

from cairn.server.agent.tools.context import ApplyOutcome, BufferText, EditProposal
from cairn.server.agent.tools.overlay import OverlaySink

from .conftest import Layout


class RecordingSink:
    """An EditSink that answers from a script and records what it was given."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.proposals: list[EditProposal] = []

    async def apply(self, proposal: EditProposal) -> ApplyOutcome:
        self.proposals.append(proposal)
        return ApplyOutcome(self.answers.pop(0) if self.answers else "applied")


class ChangingBuffer:
    """A BufferSource whose text changes between reads (someone typing in the editor)."""

    def __init__(self, rel: str, texts: list[str]) -> None:
        self.rel, self.texts, self.version = rel, list(texts), 0

    def get(self, rel_path: str) -> BufferText | None:
        if rel_path != self.rel:
            return None
        self.version += 1
        text = self.texts.pop(0) if len(self.texts) > 1 else self.texts[0]
        return BufferText(text, self.version)


async def test_propose_edit_sends_a_versioned_proposal(layout: Layout, make_ctx, call):
    sink = RecordingSink("applied")
    ctx = make_ctx(edits=sink, buffers=ChangingBuffer("src/main.py", ["print('hello')\n"]))
    result = await call(
        ctx, "propose_edit", path="src/main.py", old_text="hello", new_text="bye", description="friendlier"
    )
    assert not result.is_error
    assert result.content.startswith("Applied the change to src/main.py in the editor.")
    assert "-print('hello')\n+print('bye')" in result.content
    (proposal,) = sink.proposals
    assert proposal == EditProposal("src/main.py", "print('hello')\n", 1, "print('bye')\n", "friendlier")
    assert result.data["status"] == "applied"
    assert (layout.ws / "src/main.py").read_text() == "print('hello')\n", "the tool never writes"


async def test_stale_proposal_is_recomputed_on_fresh_text(layout: Layout, make_ctx, call):
    sink = RecordingSink("stale", "applied")
    typing = ChangingBuffer("src/main.py", ["a = 1\nb = 2\n", "a = 1\nb = 2\nc = 3\n"])
    ctx = make_ctx(edits=sink, buffers=typing)
    result = await call(ctx, "propose_edit", path="src/main.py", old_text="b = 2", new_text="b = 20")
    assert not result.is_error
    first, second = sink.proposals
    assert first.base_version == 1 and second.base_version == 2
    assert second.new_text == "a = 1\nb = 20\nc = 3\n", "the user's concurrent line is kept"


async def test_persistently_stale_edit_is_reported(layout: Layout, make_ctx, call):
    sink = RecordingSink("stale", "stale", "stale", "stale")
    result = await call(
        make_ctx(edits=sink), "propose_edit", path="README.md", old_text="demo", new_text="app"
    )
    assert result.is_error and "read it again" in result.content
    assert len(sink.proposals) == 3


@pytest.mark.parametrize("answer, expected", [("rejected", "rejected the change"), ("failed", "failed")])
async def test_refused_edit_is_an_error_for_the_model(layout, make_ctx, call, answer, expected):
    result = await call(
        make_ctx(edits=RecordingSink(answer)),
        "propose_edit",
        path="README.md",
        old_text="demo",
        new_text="app",
    )
    assert result.is_error and expected in result.content


@pytest.mark.parametrize(
    "text, old, message",
    [
        ("x = 1\nx = 1\n", "x = 1", "occurs 2 times in f.py (starting at lines 1, 2)"),
        ("aaa\n", "aa", "occurs 2 times"),  # overlapping matches are ambiguous too
        ("def f():\n    return 1\n", "def f():\nreturn 1", "Lines 1-2 match it except for whitespace"),
        (
            "def compute_total(items):\n    pass\n",
            "def compute_totals(items):",
            "Closest lines to its first line:\n  1: def compute_total(items):",
        ),
        ("alpha\n", "zzzz", "No similar lines"),
        ("alpha\n", "", "old_text is empty"),
        ("alpha\n", "alpha", "identical"),
    ],
)
async def test_edit_anchor_problems_are_explained(layout, make_ctx, call, text, old, message):
    (layout.ws / "f.py").write_text(text)
    new = "alpha" if old == "alpha" else "CHANGED"
    result = await call(
        make_ctx(edits=RecordingSink()), "propose_edit", path="f.py", old_text=old, new_text=new
    )
    assert result.is_error
    assert message in result.content


async def test_crlf_file_matches_lf_old_text(layout: Layout, make_ctx, call):
    (layout.ws / "win.txt").write_bytes(b"one\r\ntwo\r\nthree\r\n")
    sink = RecordingSink()
    result = await call(
        make_ctx(edits=sink), "propose_edit", path="win.txt", old_text="one\ntwo", new_text="uno\ndos"
    )
    assert not result.is_error
    assert sink.proposals[0].new_text == "uno\r\ndos\r\nthree\r\n"


async def test_create_file_refuses_to_overwrite(layout: Layout, make_ctx, call):
    sink = RecordingSink()
    ctx = make_ctx(edits=sink)
    exists = await call(ctx, "create_file", path="README.md", content="new")
    assert exists.is_error and "already exists" in exists.content
    created = await call(ctx, "create_file", path="docs/guide.md", content="# Guide\n")
    assert not created.is_error
    assert sink.proposals[-1] == EditProposal(
        "docs/guide.md", "", None, "# Guide\n", "Create docs/guide.md", creates_file=True
    )


# ---- OverlaySink: the CLI flow ----------------------------------------------------------------


async def test_overlay_stages_without_writing(layout: Layout, make_ctx, call):
    ctx = make_ctx()
    sink = OverlaySink(ctx.workspace)
    ctx.edits = ctx.buffers = sink
    first = await call(ctx, "propose_edit", path="src/main.py", old_text="hello", new_text="hi")
    assert not first.is_error and first.content.startswith("Staged the change to src/main.py")
    second = await call(ctx, "propose_edit", path="src/main.py", old_text="hi", new_text="hey")
    assert not second.is_error, "later edits build on the staged text"
    created = await call(ctx, "create_file", path="notes/todo.md", content="- ship\n")
    assert not created.is_error
    again = await call(ctx, "create_file", path="notes/todo.md", content="- other\n")
    assert again.is_error and "already exists" in again.content

    read = await call(ctx, "read_file", path="src/main.py")
    assert "print('hey')" in read.content, "reads see the proposed text"
    found = await call(ctx, "search", query="ship")
    assert "notes/todo.md:1: - ship" in found.content
    assert (layout.ws / "src/main.py").read_text() == "print('hello')\n"
    assert not (layout.ws / "notes").exists()

    diff = sink.diff()
    assert "--- a/src/main.py\n+++ b/src/main.py\n" in diff
    assert "-print('hello')\n+print('hey')\n" in diff
    assert "--- /dev/null\n+++ b/notes/todo.md\n" in diff
    assert [s.path for s in sink.staged] == ["src/main.py", "notes/todo.md"]


async def test_write_through_writes_each_accepted_edit_at_once(layout: Layout, make_ctx, call):
    ctx = make_ctx()
    sink = OverlaySink(ctx.workspace, write_through=True)
    ctx.edits = ctx.buffers = sink
    first = await call(ctx, "propose_edit", path="src/main.py", old_text="hello", new_text="hi")
    assert not first.is_error and first.content.startswith(
        "Applied the change to src/main.py (written to disk)."
    )
    assert "in the editor" not in first.content  # a terminal run has no editor
    assert (layout.ws / "src/main.py").read_text() == "print('hi')\n", "on disk before the run ends"
    second = await call(ctx, "propose_edit", path="src/main.py", old_text="hi", new_text="hey")
    assert not second.is_error, "later edits build on the written text"
    assert (layout.ws / "src/main.py").read_text() == "print('hey')\n"
    created = await call(ctx, "create_file", path="notes/todo.md", content="- ship\n")
    assert not created.is_error and (layout.ws / "notes/todo.md").read_text() == "- ship\n"
    again = await call(ctx, "create_file", path="notes/todo.md", content="- other\n")
    assert again.is_error and "already exists" in again.content

    # The report at the end: every file written, as one diff against the text it started from.
    assert [s.path for s in sink.staged] == ["src/main.py", "notes/todo.md"]
    diff = sink.diff()
    assert "-print('hello')\n+print('hey')\n" in diff
    assert "--- /dev/null\n+++ b/notes/todo.md\n" in diff


async def test_write_through_refuses_a_file_changed_on_disk_since_it_was_read(layout: Layout, make_ctx, call):
    ctx = make_ctx()
    sink = OverlaySink(ctx.workspace, write_through=True)
    ctx.edits = ctx.buffers = sink
    read_before = EditProposal("README.md", "# demo\n", None, "# app\n", "edit")
    (layout.ws / "README.md").write_text("# changed by the user\n")
    outcome = await sink.apply(read_before)
    assert outcome.status == "stale"
    assert (layout.ws / "README.md").read_text() == "# changed by the user\n"

    await call(ctx, "propose_edit", path="src/main.py", old_text="hello", new_text="hi")
    written = "print('hi')\n"
    (layout.ws / "src/main.py").write_text("print('typed by the user')\n")
    after_ours = EditProposal("src/main.py", written, None, "print('hey')\n", "edit")
    assert (await sink.apply(after_ours)).status == "stale"
    assert (layout.ws / "src/main.py").read_text() == "print('typed by the user')\n"
    new_file = EditProposal("README.md", "", None, "# new\n", "create", creates_file=True)
    assert (await sink.apply(new_file)).status == "stale", "never overwrites an existing file"


async def test_write_through_refuses_protected_paths(layout: Layout, make_ctx):
    ctx = make_ctx()
    sink = OverlaySink(ctx.workspace, write_through=True)
    protected = EditProposal(".git/config", "", None, "[core]\n", "evil", creates_file=True)
    outcome = await sink.apply(protected)
    assert outcome.status == "failed" and "git internals" in outcome.message
    assert not (layout.ws / ".git").exists() and sink.staged == []


async def test_overlay_rejects_stale_and_protected_proposals(layout: Layout, make_ctx):
    ctx = make_ctx()
    sink = OverlaySink(ctx.workspace)
    stale = EditProposal("README.md", "# old text\n", None, "# x\n", "stale")
    assert (await sink.apply(stale)).status == "stale"
    protected = EditProposal(".git/config", "", None, "[core]\n", "evil", creates_file=True)
    outcome = await sink.apply(protected)
    assert outcome.status == "failed" and "git internals" in outcome.message
    assert sink.staged == []


async def test_text_that_cannot_be_saved_is_refused(layout: Layout, make_ctx, call):
    sink = RecordingSink()
    ctx = make_ctx(edits=sink)
    bad = await call(ctx, "create_file", path="x.txt", content="half a pair \ud83d")
    assert bad.is_error and "lone surrogate" in bad.content
    worse = await call(ctx, "propose_edit", path="README.md", old_text="demo", new_text="\udcff")
    assert worse.is_error and sink.proposals == []


@pytest.mark.parametrize("answer", ["applied", "staged", "rejected", "failed"])
async def test_memory_knows_an_applied_edit_by_its_result(layout, make_ctx, call, answer):
    """Memory follows the values an edit changed only when its result says it took effect
    (memory/value_changes.py reads the stored result text, not the tool's status)."""
    from cairn.memory.value_changes import APPLIED_HEADS

    result = await call(
        make_ctx(edits=RecordingSink(answer)),
        "propose_edit",
        path="README.md",
        old_text="demo",
        new_text="app",
    )
    assert result.content.startswith(APPLIED_HEADS) == (answer in ("applied", "staged"))
