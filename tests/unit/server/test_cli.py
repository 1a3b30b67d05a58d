"""The `cairn` command line: version, status (no secrets), serve's argument checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from cairn import __version__


def cairn(*args: str, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cairn", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=60,
    )


def test_version():
    result = cairn("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"cairn {__version__}"


def test_status_prints_configuration_without_secrets(tmp_path):
    secret = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD"
    env = {
        "CAIRN_API_KEY": secret,
        "CAIRN_MODEL": "openai/gpt-4.1-mini",
        "CAIRN_API_BASE": "https://user:hunter2@llm.example.com/v1?token=abc",
    }
    text = cairn("status", "--workspace", str(tmp_path), env=env)
    assert text.returncode == 0, text.stderr
    assert "openai/gpt-4.1-mini" in text.stdout and str(tmp_path) in text.stdout
    as_json = json.loads(cairn("status", "--json", "--workspace", str(tmp_path), env=env).stdout)
    assert as_json["settings"]["apiKey"] == "set"
    assert as_json["settings"]["apiBase"] == "https://llm.example.com/v1"
    assert as_json["memory"]["path"].endswith("memory.sqlite3")
    for output in (text.stdout + text.stderr, json.dumps(as_json)):
        assert secret not in output and "hunter2" not in output and "token=abc" not in output


def test_status_reports_bad_environment_values(tmp_path):
    result = cairn("status", "--json", "--workspace", str(tmp_path), env={"CAIRN_MAX_STEPS": "lots"})
    report = json.loads(result.stdout)
    assert report["settings"]["maxSteps"] == 400
    assert any("maxSteps" in problem for problem in report["problems"])


def test_bad_arguments_are_clear_errors():
    result = cairn("serve", "--tcp", "nonsense")
    assert result.returncode == 2 and "HOST:PORT" in result.stderr
    assert cairn().returncode == 2


def test_serve_over_tcp_answers_initialize(tmp_path):
    import socket

    from tests.support.rawclient import frame

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "cairn", "serve", "--tcp", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                import time

                time.sleep(0.1)
        with connection:
            connection.sendall(
                frame(
                    {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "initialize",
                        "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}},
                    }
                )
            )
            data = b""
            while b'"id": 1' not in data:
                chunk = connection.recv(65536)
                assert chunk
                data += chunk
            assert b"serverInfo" in data
            connection.sendall(
                frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
                + frame({"jsonrpc": "2.0", "method": "exit"})
            )
        assert server.wait(timeout=5) == 0
    finally:
        server.kill()
    assert server.stdout.read() == b""  # TCP mode keeps stdout silent too
