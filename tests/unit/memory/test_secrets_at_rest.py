"""R15: secret canaries written through every path never reach the database files."""

from __future__ import annotations

import json
import re

from cairn.memory.checkpoints import CheckpointWriter
from cairn.memory.consolidate import consolidate
from cairn.memory.redaction import Redactor
from cairn.memory.store import MemoryStore
from cairn.memory.testing import FakeTextModel, secret_canaries

ENV = {"PAYMENTS_API_KEY": "Qm9!unshaped-server-key-77", "HOME": "/home/dev"}


def _db_bytes(db_path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(db_path.parent.glob(db_path.name + "*")))


def _needles(canary) -> list[bytes]:
    # FTS5 stores lower-cased tokens: look for long runs of the secret in that form too.
    runs = re.findall(r"[A-Za-z0-9]{12,}", canary.needle)
    return [canary.needle.encode()] + [r.lower().encode() for r in runs] + [r.encode() for r in runs]


async def test_canaries_in_chat_tool_calls_tool_output_and_memories_never_hit_disk(db_path, workspace, clock):
    redactor = Redactor()
    assert redactor.add_env_secrets(ENV) == 1
    canaries = secret_canaries(seed=15, env_secret=ENV["PAYMENTS_API_KEY"])
    assert len({c.kind for c in canaries}) >= 15
    store = await MemoryStore.open(db_path, redactor=redactor, workspace_root=workspace, clock=clock)
    try:
        session = await store.new_session(title=f"debug {canaries[0].text}")
        for n, canary in enumerate(canaries):
            await store.append_message(session, {"role": "user", "content": f"step {n}: {canary.text}"})
            call = {
                "id": f"c{n}",
                "type": "function",
                "function": {"name": "shell", "arguments": json.dumps({"command": f"echo '{canary.text}'"})},
            }
            await store.append_message(session, {"role": "assistant", "content": None, "tool_calls": [call]})
            await store.append_message(
                session, {"role": "tool", "tool_call_id": f"c{n}", "name": "shell", "content": canary.text}
            )
            partial = await store.append_message(
                session, {"role": "assistant", "content": canary.text[:60]}, complete=False
            )
            await store.finish_message(partial, {"role": "assistant", "content": canary.text})
            await store.remember(f"note {canary.text}", source="agent", session_id=session)
        echo = FakeTextModel(lambda messages: "## Current work\n" + messages[-1]["content"][-3000:])
        await CheckpointWriter(store, echo).write_now(session)
        await consolidate(store, workspace_root=workspace, model=echo, now=clock())
        plain_marker = b"step 3:"
        open_bytes = _db_bytes(db_path)
        assert db_path.with_name(db_path.name + "-wal").exists()
    finally:
        await store.close()
    closed_bytes = _db_bytes(db_path)
    assert plain_marker in open_bytes + closed_bytes  # the scan does see stored text
    for canary in canaries:
        for needle in _needles(canary):
            assert needle not in open_bytes, (canary.kind, needle)
            assert needle not in closed_bytes, (canary.kind, needle)
