"""Execution grading: a model's code and the task's tests run in the sandbox; good code passes,
bad code fails with the failure text, and code that tries to escape the sandbox fails."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path

import pytest

from cairn import sandbox
from cairn.skills.optimize import code_grader, execution
from cairn.skills.optimize.code_grader import build_program, extract_code
from cairn.skills.optimize.graders import grade
from cairn.skills.optimize.tasks import parse_task

needs_landlock = pytest.mark.skipif(
    sandbox.landlock_abi() < 1, reason="no Landlock here: model-written code is never run unconfined"
)

PREFIX = (
    'def add(a: int, b: int) -> int:\n    """Return the sum of a and b.\n    >>> add(2, 3)\n    5\n    """\n'
)
TEST = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"


def add_task(timeout: float | None = None):
    spec = {"type": "execution", "prefix": PREFIX, "test": TEST, "entry_point": "add"}
    if timeout is not None:
        spec["timeout"] = timeout
    return parse_task({"id": "add", "input": "Write add.", "expected": None, "grader": spec})


def fenced(code: str) -> str:
    return f"Here is the function:\n\n```python\n{code}```\n\nIt adds the numbers."


@pytest.fixture(autouse=True)
def fresh_grades():
    code_grader._graded.cache_clear()  # each test runs its code, never a cached verdict
    yield
    code_grader._graded.cache_clear()


# ---- extracting and assembling ----------------------------------------------------------------


def test_the_first_python_block_is_the_code_else_the_whole_answer():
    assert extract_code("```text\nnot this\n```\n```python\nx = 1\n```\n```python\ny = 2\n```") == "x = 1\n"
    assert extract_code("```\nz = 3\n```") == "z = 3\n"
    assert extract_code("```python\ncut = 'off by the token limit'\n") == "cut = 'off by the token limit'\n"
    assert extract_code("    return a + b\n") == "    return a + b\n"


def test_a_whole_function_follows_the_prefix_and_a_body_continues_it():
    grader = add_task().grader
    whole = build_program(grader, fenced("def add(a, b):\n    return a + b\n"))
    assert whole.index(PREFIX) < whole.index("def add(a, b):") < whole.index(TEST) < whole.index("check(add)")
    body = build_program(grader, "    return a + b\n")
    assert body.startswith(PREFIX + "    return a + b\n")


def test_an_execution_grader_needs_test_code_and_a_valid_entry_point():
    with pytest.raises(ValueError, match="needs 'test'"):
        parse_task({"id": "x", "input": "i", "expected": None, "grader": {"type": "execution"}})
    with pytest.raises(ValueError, match="identifier"):
        parse_task(
            {
                "id": "x",
                "input": "i",
                "expected": None,
                "grader": {"type": "execution", "test": "pass", "entry_point": "a b"},
            }
        )
    with pytest.raises(SyntaxError):
        parse_task(
            {"id": "x", "input": "i", "expected": None, "grader": {"type": "execution", "test": "def ("}}
        )


# ---- good and bad answers ---------------------------------------------------------------------


@needs_landlock
def test_a_known_good_completion_passes_as_a_block_or_as_a_body():
    assert grade(add_task(), fenced("def add(a, b):\n    return a + b\n")).passed
    assert grade(add_task(), "    return a + b\n").passed


@needs_landlock
def test_a_known_bad_completion_fails_with_the_failing_assertion():
    result = grade(add_task(), fenced("def add(a, b):\n    return a * b + 1\n"))
    assert not result.passed
    assert "AssertionError" in result.detail and "assert candidate(2, 3) == 5" in result.detail
    assert "solution.py" in result.detail and "cairn-exec-" not in result.detail  # no scratch paths


@needs_landlock
def test_a_crash_reports_the_traceback():
    result = grade(add_task(), fenced("def add(a, b):\n    return a + undefined_name\n"))
    assert not result.passed and "NameError" in result.detail and "undefined_name" in result.detail


# ---- escape attempts: each answer is otherwise correct, so it passes only if the escape works --


def escaping(attempt: str) -> str:
    return fenced(f"def add(a, b):\n{attempt}    return a + b\n")


@needs_landlock
def test_the_network_is_cut():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        attempt = (
            f"    import socket\n    socket.create_connection(('127.0.0.1', {port}), timeout=3).close()\n"
        )
        result = grade(add_task(), escaping(attempt))
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):  # a connection that got through would wait here
            listener.accept()
    assert not result.passed and "create_connection" in result.detail, result.detail
    assert "PermissionError" in result.detail or "Network is unreachable" in result.detail


@needs_landlock
def test_writing_outside_the_scratch_directory_fails(tmp_path):
    target = tmp_path / "escaped.txt"
    result = grade(add_task(), escaping(f"    open({str(target)!r}, 'w').write('out')\n"))
    assert not result.passed and "PermissionError" in result.detail
    assert not target.exists()


@needs_landlock
@pytest.mark.parametrize(
    "what",
    ["home", "repository", "other_tmp"],
)
def test_reading_home_the_repository_or_other_files_fails(tmp_path, what):
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    path = {"home": str(Path.home()), "repository": str(Path(__file__).resolve()), "other_tmp": str(secret)}[
        what
    ]
    reader = "os.listdir" if what == "home" else "lambda p: open(p).read()"
    result = grade(add_task(), escaping(f"    import os\n    ({reader})({path!r})\n"))
    assert not result.passed and "PermissionError" in result.detail, result.detail
    assert "s3cret" not in result.detail


@needs_landlock
def test_runaway_memory_is_capped():
    attempt = "    hog = bytearray(3 * 1024 ** 3)\n"  # 3 GiB against the 1 GiB address-space limit
    result = grade(add_task(), escaping(attempt))
    assert not result.passed and "MemoryError" in result.detail


@needs_landlock
def test_runaway_time_is_stopped_at_the_timeout():
    result = grade(add_task(timeout=1), escaping("    while True:\n        pass\n"))
    assert not result.passed and result.detail.startswith("timed out after 1 s")


def _processes_with(token: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and token in (entry / "cmdline").read_bytes().decode(errors="replace"):
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(entry.name)
        except OSError:
            continue
    return found


@needs_landlock
def test_a_background_process_left_behind_is_killed():
    token = f"cairn-straggler-{uuid.uuid4().hex}"
    attempt = (
        "    import subprocess, sys\n"
        f"    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)  # {token}'])\n"
    )
    assert grade(add_task(), escaping(attempt)).passed  # allowed, but it does not outlive the run
    deadline = time.monotonic() + 10  # SIGKILL is delivered asynchronously: wait for it to land
    while _processes_with(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_with(token) == []


def test_without_landlock_nothing_is_run(monkeypatch):
    monkeypatch.setattr(sandbox, "landlock_abi", lambda: 0)
    ran = []
    monkeypatch.setattr(execution.subprocess, "Popen", lambda *a, **k: ran.append(a))
    with pytest.raises(execution.SandboxUnavailable, match="Landlock"):
        grade(add_task(), fenced("def add(a, b):\n    return a + b\n"))
    assert ran == []
