#!/usr/bin/env python3
"""Self-check for session.json (stdlib only).

Copies workspace/ to a temp dir (git init), replays every step of day 1 and
then the next_day turn in order, and fails if:
  * the JSON breaks the schema (keys, types, tool names, argument names),
  * a step list does not end in exactly one final answer,
  * a propose_edit old_text does not occur exactly once (or create_file hits an existing file),
  * a fact's value is not where its source says it first appears
    (user text / assistant text / edit content / a file read in that turn /
    a command's output in that turn),
  * a fact's value already appears in anything the model was shown in an earlier turn,
  * a user/assistant/edit fact's value is already in the starting workspace,
  * replaced_by links are inconsistent.
Prints counts at the end. Exit status 0 = pass.
"""

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
WS = os.path.join(HERE, "workspace")
SESSION = os.path.join(HERE, "session.json")

TOOLS = {
    "read_file": ({"path"}, {"start_line", "end_line"}),
    "list_files": (set(), {"path", "pattern", "recursive"}),
    "search": ({"query"}, {"path", "regex", "glob"}),
    "propose_edit": ({"path", "old_text", "new_text"}, {"description"}),
    "create_file": ({"path", "content"}, {"description"}),
    "run_command": ({"command"}, {"cwd", "timeout"}),
    "remember": ({"text"}, {"kind", "paths"}),
    "recall": ({"query"}, set()),
    "history": ({"query"}, set()),
}
ACTIONS = {"explain", "docstring", "fix", "refactor", "tests"}
KINDS = {"port", "host", "url", "path", "command", "env", "version", "ticket", "decision", "directive", "error",
         "fix", "name", "number", "other"}
SOURCES = {"user", "assistant", "file", "shell", "edit"}
REMEMBER_KINDS = {"fact", "decision", "convention", "gotcha", "preference", "todo"}
SKIP_DIRS = {".git", "__pycache__"}

errors, warnings = [], []


def err(msg):
    errors.append(msg)


def warn(msg):
    warnings.append(msg)


# ------------------------------------------------------------------ schema

def check_step(where, step, is_last):
    if not isinstance(step, dict):
        err(f"{where}: step is not an object")
        return
    if "answer" in step:
        if set(step) != {"answer"}:
            err(f"{where}: answer step has extra keys {sorted(set(step) - {'answer'})}")
        if not isinstance(step["answer"], str) or not step["answer"].strip():
            err(f"{where}: empty answer")
        if not is_last:
            err(f"{where}: answer before the last step")
        return
    if is_last:
        err(f"{where}: last step is not an answer")
    extra = set(step) - {"tool", "args", "say"}
    if extra:
        err(f"{where}: unknown step keys {sorted(extra)}")
    tool = step.get("tool")
    if tool not in TOOLS:
        err(f"{where}: unknown tool {tool!r}")
        return
    if "say" in step and not isinstance(step["say"], str):
        err(f"{where}: say must be a string")
    args = step.get("args")
    if not isinstance(args, dict):
        err(f"{where}: args must be an object")
        return
    req, opt = TOOLS[tool]
    missing = req - set(args)
    unknown = set(args) - req - opt
    if missing:
        err(f"{where}: {tool} missing args {sorted(missing)}")
    if unknown:
        err(f"{where}: {tool} unknown args {sorted(unknown)}")
    for k, v in args.items():
        if k in ("start_line", "end_line", "timeout") and not isinstance(v, int):
            err(f"{where}: {k} must be an int")
        elif k in ("recursive", "regex") and not isinstance(v, bool):
            err(f"{where}: {k} must be a bool")
        elif k == "paths" and not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            err(f"{where}: paths must be a list of strings")
        elif k not in ("start_line", "end_line", "timeout", "recursive", "regex", "paths") and not isinstance(v, str):
            err(f"{where}: {k} must be a string")
    if tool == "remember" and "kind" in args and args["kind"] not in REMEMBER_KINDS:
        err(f"{where}: remember kind {args['kind']!r} not allowed")


def check_turn(where, turn):
    if not isinstance(turn, dict):
        err(f"{where}: turn is not an object")
        return
    if "user" in turn:
        if set(turn) != {"user", "steps"}:
            err(f"{where}: chat turn keys must be user+steps, got {sorted(turn)}")
        if not isinstance(turn["user"], str) or not turn["user"].strip():
            err(f"{where}: empty user text")
    elif "action" in turn:
        if set(turn) != {"action", "path", "start_line", "end_line", "steps"}:
            err(f"{where}: action turn keys wrong: {sorted(turn)}")
        if turn.get("action") not in ACTIONS:
            err(f"{where}: unknown action {turn.get('action')!r}")
        if not (isinstance(turn.get("start_line"), int) and isinstance(turn.get("end_line"), int)
                and 1 <= turn["start_line"] <= turn["end_line"]):
            err(f"{where}: bad start_line/end_line")
    else:
        err(f"{where}: turn is neither chat nor action")
    steps = turn.get("steps")
    if not isinstance(steps, list) or not steps:
        err(f"{where}: steps must be a non-empty list")
        return
    for i, s in enumerate(steps):
        check_step(f"{where} step {i}", s, i == len(steps) - 1)


def check_schema(session):
    expected = {"name", "context_window", "turns", "next_day", "facts"}
    if set(session) != expected:
        err(f"top-level keys must be {sorted(expected)}, got {sorted(session)}")
    if not isinstance(session.get("name"), str) or not session["name"]:
        err("name must be a non-empty string")
    if not isinstance(session.get("context_window"), int):
        err("context_window must be an int")
    turns = session.get("turns")
    if not isinstance(turns, list) or not turns:
        err("turns must be a non-empty list")
        turns = []
    for i, t in enumerate(turns):
        check_turn(f"turn {i}", t)
    check_turn("next_day", session.get("next_day"))
    facts = session.get("facts")
    if not isinstance(facts, list) or not facts:
        err("facts must be a non-empty list")
        return
    ids = Counter(f.get("id") for f in facts)
    for fid, n in ids.items():
        if n > 1:
            err(f"duplicate fact id {fid}")
    values = Counter(f.get("value") for f in facts)
    for v, n in values.items():
        if n > 1:
            err(f"duplicate fact value {v!r}")
    by_id = {f.get("id"): f for f in facts}
    for f in facts:
        w = f"fact {f.get('id')}"
        need = {"id", "value", "kind", "source", "turn", "query", "question"}
        if not need <= set(f):
            err(f"{w}: missing keys {sorted(need - set(f))}")
            continue
        if set(f) - need - {"replaced_by"}:
            err(f"{w}: unknown keys {sorted(set(f) - need - {'replaced_by'})}")
        for k in ("id", "value", "query", "question"):
            if not isinstance(f[k], str) or not f[k]:
                err(f"{w}: {k} must be a non-empty string")
        if f["kind"] not in KINDS:
            err(f"{w}: bad kind {f['kind']!r}")
        if f["source"] not in SOURCES:
            err(f"{w}: bad source {f['source']!r}")
        if not isinstance(f["turn"], int) or not 0 <= f["turn"] < len(turns):
            err(f"{w}: turn out of range")
        if "replaced_by" in f:
            new = by_id.get(f["replaced_by"])
            if new is None:
                err(f"{w}: replaced_by {f['replaced_by']} does not exist")
            elif not new["turn"] > f["turn"]:
                err(f"{w}: replacement {new['id']} is not in a later turn")
            elif new["value"] == f["value"]:
                err(f"{w}: replacement has the same value")


# ------------------------------------------------------------------ tool simulation

def walk(root, rel="."):
    base = os.path.normpath(os.path.join(root, rel))
    out = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for fn in sorted(filenames):
            out.append(os.path.relpath(os.path.join(dirpath, fn), root))
    return out


def read_text(root, path):
    try:
        with open(os.path.join(root, path), encoding="utf-8") as fh:
            return fh.read()
    except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
        return None


def sim_read(root, args):
    text = read_text(root, args["path"])
    if text is None:
        err(f"read_file on missing/binary file {args['path']}")
        return "", ""
    lines = text.splitlines()
    s = args.get("start_line", 1)
    e = args.get("end_line", len(lines))
    if s > len(lines) or e < s:
        err(f"read_file {args['path']} range {s}-{e} outside file ({len(lines)} lines)")
    chunk = lines[s - 1:e]
    raw = "\n".join(chunk)
    shown = "\n".join(f"{s + i}: {l}" for i, l in enumerate(chunk))
    return raw, shown


def sim_list(root, args):
    rel = args.get("path", ".")
    if not os.path.isdir(os.path.join(root, rel)):
        err(f"list_files on missing dir {rel}")
        return ""
    if args.get("recursive", True):
        files = walk(root, rel)
    else:
        files = sorted(os.path.relpath(os.path.join(root, rel, f), root) for f in os.listdir(os.path.join(root, rel))
                       if f not in SKIP_DIRS)
    pat = args.get("pattern")
    if pat:
        files = [f for f in files if fnmatch.fnmatch(os.path.basename(f), pat) or fnmatch.fnmatch(f, pat)]
    return "\n".join(files)


def sim_search(root, args):
    rel = args.get("path", ".")
    target = os.path.join(root, rel)
    files = [os.path.relpath(target, root)] if os.path.isfile(target) else walk(root, rel)
    glob = args.get("glob")
    q = args["query"]
    rx = re.compile(q, re.I) if args.get("regex") else None
    out = []
    for f in files:
        if glob and not (fnmatch.fnmatch(os.path.basename(f), glob) or fnmatch.fnmatch(f, glob)):
            continue
        text = read_text(root, f)
        if text is None:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if (rx.search(line) if rx else q.lower() in line.lower()):
                out.append(f"{f}:{n}: {line}")
    return "\n".join(out)


def run_cmd(root, args):
    cwd = os.path.join(root, args.get("cwd", "."))
    try:
        p = subprocess.run(["bash", "-c", args["command"]], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=max(args.get("timeout", 30), 30))
        return p.stdout
    except subprocess.TimeoutExpired:
        err(f"command timed out: {args['command'][:80]}")
        return ""


def replay_turn(root, ti, turn):
    """Execute one turn. Returns a record of what the model saw / produced."""
    rec = {"user": turn.get("user", ""), "assistant": [], "edits": [], "reads": [], "shell": [], "visible": []}
    if "action" in turn:
        text = read_text(root, turn["path"])
        if text is None:
            err(f"turn {ti}: action on missing file {turn['path']}")
        else:
            lines = text.splitlines()
            if turn["end_line"] > len(lines):
                err(f"turn {ti}: action range beyond end of {turn['path']}")
            rec["visible"].append("\n".join(lines[turn["start_line"] - 1:turn["end_line"]]))
        rec["visible"].append(turn["path"])
    rec["visible"].append(rec["user"])
    for si, step in enumerate(turn["steps"]):
        if "answer" in step:
            rec["assistant"].append(step["answer"])
            rec["visible"].append(step["answer"])
            continue
        if step.get("say"):
            rec["assistant"].append(step["say"])
            rec["visible"].append(step["say"])
        tool, a = step["tool"], step["args"]
        rec["visible"].append(json.dumps(a, ensure_ascii=False))
        where = f"turn {ti} step {si}"
        if tool == "read_file":
            raw, shown = sim_read(root, a)
            rec["reads"].append(raw)
            rec["visible"].append(shown)
        elif tool == "list_files":
            rec["visible"].append(sim_list(root, a))
        elif tool == "search":
            rec["visible"].append(sim_search(root, a))
        elif tool == "propose_edit":
            path = os.path.join(root, a["path"])
            text = read_text(root, a["path"])
            if text is None:
                err(f"{where}: propose_edit on missing file {a['path']}")
                continue
            n = text.count(a["old_text"])
            if n != 1:
                err(f"{where}: old_text occurs {n} times in {a['path']}")
                continue
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text.replace(a["old_text"], a["new_text"]))
            rec["edits"].append(a["new_text"])
        elif tool == "create_file":
            path = os.path.join(root, a["path"])
            if os.path.exists(path):
                err(f"{where}: create_file on existing file {a['path']}")
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(a["content"])
            rec["edits"].append(a["content"])
        elif tool == "run_command":
            out = run_cmd(root, a)
            rec["shell"].append(out)
            rec["visible"].append(out)
    return rec


# ------------------------------------------------------------------ main

def main():
    with open(SESSION, encoding="utf-8") as fh:
        session = json.load(fh)
    check_schema(session)
    if errors:
        return report(session, None)

    initial = "\n".join(filter(None, (read_text(WS, f) for f in walk(WS))))
    size = sum(os.path.getsize(os.path.join(WS, f)) for f in walk(WS))
    if size > 160_000:
        err(f"workspace is {size} bytes (> ~150 KB)")

    root = tempfile.mkdtemp(prefix="session_check_")
    shutil.rmtree(root)
    shutil.copytree(WS, root, ignore=shutil.ignore_patterns("__pycache__", "var"))
    subprocess.run(["git", "init", "-q"], cwd=root)
    try:
        records = [replay_turn(root, i, t) for i, t in enumerate(session["turns"])]
        next_rec = replay_turn(root, "next_day", session["next_day"])
    finally:
        shutil.rmtree(root, ignore_errors=True)

    day1_talk = "\n".join(r["user"] + "\n" + "\n".join(r["assistant"]) for r in records)
    only_tool = 0
    for f in session["facts"]:
        v, t, src, w = f["value"], f["turn"], f["source"], f"fact {f['id']} ({f['source']}, turn {f['turn']})"
        rec = records[t]
        where = {
            "user": [rec["user"]],
            "assistant": rec["assistant"],
            "edit": rec["edits"],
            "file": rec["reads"],
            "shell": rec["shell"],
        }[src]
        if not any(v in x for x in where):
            err(f"{w}: value {v!r} not found in this turn's {src} text")
        for pt in range(t):
            if any(v in x for x in records[pt]["visible"]):
                err(f"{w}: value {v!r} already visible in earlier turn {pt}")
                break
        if src in ("file", "shell") and v in rec["user"]:
            err(f"{w}: value also in the user's text of the same turn")
        if src in ("user", "assistant", "edit") and v in initial:
            err(f"{w}: value {v!r} already present in the starting workspace")
        if src in ("file", "shell"):
            if v in day1_talk:
                warn(f"{w}: value {v!r} is also repeated in day-1 user/assistant text")
            else:
                only_tool += 1
    return report(session, records, next_rec, only_tool)


def report(session, records, next_rec=None, only_tool=0):
    turns = session.get("turns", [])
    steps = [s for t in turns for s in t.get("steps", [])]
    tools = Counter(s["tool"] for s in steps if "tool" in s)
    nd_tools = Counter(s["tool"] for s in session.get("next_day", {}).get("steps", []) if "tool" in s)
    facts = session.get("facts", [])
    print(f"turns: {len(turns)} (chat {sum('user' in t for t in turns)}, "
          f"actions {sum('action' in t for t in turns)}: "
          f"{dict(Counter(t['action'] for t in turns if 'action' in t))})")
    print(f"steps: {len(steps)} (answers {sum('answer' in s for s in steps)}, tool calls {sum(tools.values())})")
    print("tool calls by tool: " + ", ".join(f"{k}={v}" for k, v in sorted(tools.items())))
    print(f"next_day: {len(session.get('next_day', {}).get('steps', []))} steps, tools {dict(nd_tools)}")
    print(f"facts: {len(facts)}")
    print("  by source: " + ", ".join(f"{k}={v}" for k, v in sorted(Counter(f['source'] for f in facts).items())))
    print("  by kind:   " + ", ".join(f"{k}={v}" for k, v in sorted(Counter(f['kind'] for f in facts).items())))
    print(f"  replaced:  {sum('replaced_by' in f for f in facts)}")
    if records is not None:
        print(f"  file/shell facts seen only in tool output (never in day-1 user/assistant text): {only_tool}")
        last10 = sum(f["turn"] >= len(turns) - 10 for f in facts)
        print(f"  facts first appearing in the last ten turns: {last10}")
        chars = sum(len(x) for r in records for x in r["visible"])
        print(f"visible text day 1: {chars} chars (~{chars // 4} tokens, ~{chars / 4 / 8192:.1f}x an 8k window)")
    for w in warnings:
        print("WARN", w)
    for e in errors:
        print("FAIL", e)
    print("RESULT:", "FAIL" if errors else "PASS")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
