#!/usr/bin/env python3
"""Self-check for session-b (stdlib only).

Copies workspace/ to a temp dir (git init-ed), replays every step of
session.json in order with the semantics described in FORMAT.md, and fails if

* the JSON does not follow the schema,
* a step list does not end in exactly one answer (or has an answer elsewhere),
* a propose_edit old_text does not occur exactly once at that moment,
* a create_file target already exists, a read_file target is missing,
* a fact's value is not where its source says (user message, assistant text,
  the output of a read_file / run_command of that turn, or the text of an edit
  of that turn), or it already appeared earlier in the session.

Usage: python3 check.py [--transcript FILE] [--keep]
"""

import collections
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
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
KINDS = {"port", "host", "url", "path", "command", "env", "version", "ticket", "decision",
         "directive", "error", "fix", "name", "number", "other"}
SOURCES = {"user", "assistant", "file", "shell", "edit"}
REMEMBER_KINDS = {"fact", "decision", "convention", "gotcha", "preference", "todo"}
SKIP_DIRS = {".git", "__pycache__"}

errors = []
warnings = []


def fail(msg):
    errors.append(msg)


def warn(msg):
    warnings.append(msg)


# ----------------------------------------------------------------- schema
def check_schema(s):
    for key, typ in (("name", str), ("context_window", int), ("turns", list),
                     ("next_day", dict), ("facts", list)):
        if not isinstance(s.get(key), typ):
            fail("top-level %r missing or not %s" % (key, typ.__name__))
    extra = set(s) - {"name", "context_window", "turns", "next_day", "facts"}
    if extra:
        fail("unexpected top-level keys %s" % sorted(extra))
    for i, t in enumerate(s.get("turns", []) + [s.get("next_day", {})]):
        check_turn(i, t)


def check_turn(i, t):
    where = "turn %d" % i
    if "user" in t:
        if set(t) != {"user", "steps"}:
            fail("%s: chat turn keys %s" % (where, sorted(t)))
        if not isinstance(t["user"], str) or not t["user"].strip():
            fail("%s: empty user text" % where)
    elif "action" in t:
        if set(t) != {"action", "path", "start_line", "end_line", "steps"}:
            fail("%s: action turn keys %s" % (where, sorted(t)))
        if t["action"] not in ACTIONS:
            fail("%s: unknown action %r" % (where, t["action"]))
        if not (isinstance(t.get("start_line"), int) and isinstance(t.get("end_line"), int)
                and 1 <= t["start_line"] <= t["end_line"]):
            fail("%s: bad line range" % where)
    else:
        fail("%s: neither chat nor action" % where)
        return
    steps = t.get("steps")
    if not isinstance(steps, list) or not steps:
        fail("%s: no steps" % where)
        return
    for j, st in enumerate(steps):
        last = j == len(steps) - 1
        if "answer" in st:
            if set(st) != {"answer"} or not isinstance(st["answer"], str) or not st["answer"].strip():
                fail("%s step %d: malformed answer" % (where, j))
            if not last:
                fail("%s step %d: answer before the last step" % (where, j))
            continue
        if last:
            fail("%s: last step is not an answer" % where)
        if set(st) - {"tool", "args", "say"} or "tool" not in st or "args" not in st:
            fail("%s step %d: bad keys %s" % (where, j, sorted(st)))
            continue
        if "say" in st and not isinstance(st["say"], str):
            fail("%s step %d: say not a string" % (where, j))
        tool, args = st["tool"], st["args"]
        if tool not in TOOLS:
            fail("%s step %d: unknown tool %r" % (where, j, tool))
            continue
        req, opt = TOOLS[tool]
        if not isinstance(args, dict):
            fail("%s step %d: args not an object" % (where, j))
            continue
        missing, unknown = req - set(args), set(args) - req - opt
        if missing or unknown:
            fail("%s step %d: %s args missing %s unknown %s" % (where, j, tool, sorted(missing), sorted(unknown)))
        if tool == "remember" and args.get("kind", "fact") not in REMEMBER_KINDS:
            fail("%s step %d: remember kind %r" % (where, j, args.get("kind")))


# ----------------------------------------------------------------- replay
def rel_ok(root, path):
    full = os.path.normpath(os.path.join(root, path))
    if not full.startswith(os.path.normpath(root)):
        raise ValueError("path escapes workspace: %s" % path)
    return full


def walk(root, base):
    start = rel_ok(root, base)
    if os.path.isfile(start):
        yield os.path.relpath(start, root)
        return
    for dirpath, dirnames, filenames in os.walk(start):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for f in sorted(filenames):
            yield os.path.relpath(os.path.join(dirpath, f), root)


def do_read(root, a):
    full = rel_ok(root, a["path"])
    if not os.path.isfile(full):
        raise ValueError("read_file: no such file %s" % a["path"])
    with open(full, encoding="utf-8", errors="replace") as fh:
        lines = fh.read().splitlines()
    s = a.get("start_line", 1)
    e = a.get("end_line", len(lines))
    if s < 1 or s > max(len(lines), 1):
        raise ValueError("read_file %s: start_line %d beyond %d lines" % (a["path"], s, len(lines)))
    if e > len(lines):
        warn("read_file %s: end_line %d > %d lines" % (a["path"], e, len(lines)))
    return "\n".join("%d: %s" % (i, lines[i - 1]) for i in range(s, min(e, len(lines)) + 1))


def do_list(root, a):
    base = a.get("path", ".")
    out = []
    if a.get("recursive", True):
        files = list(walk(root, base))
    else:
        full = rel_ok(root, base)
        files = sorted(os.path.relpath(os.path.join(full, f), root) for f in os.listdir(full)
                       if f not in SKIP_DIRS)
    for f in files:
        if a.get("pattern") and not fnmatch.fnmatch(os.path.basename(f), a["pattern"]):
            continue
        out.append(f)
    return "\n".join(out)


def do_search(root, a):
    q = a["query"]
    rx = re.compile(q) if a.get("regex") else None
    out = []
    for f in walk(root, a.get("path", ".")):
        if a.get("glob") and not fnmatch.fnmatch(os.path.basename(f), a["glob"]):
            continue
        try:
            with open(os.path.join(root, f), encoding="utf-8") as fh:
                lines = fh.read().splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        for n, line in enumerate(lines, 1):
            if (rx.search(line) if rx else q in line):
                out.append("%s:%d: %s" % (f, n, line))
    return "\n".join(out)


def do_edit(root, a):
    full = rel_ok(root, a["path"])
    if not os.path.isfile(full):
        raise ValueError("propose_edit: no such file %s" % a["path"])
    with open(full, encoding="utf-8") as fh:
        text = fh.read()
    n = text.count(a["old_text"])
    if n != 1:
        raise ValueError("propose_edit %s: old_text occurs %d times: %r" % (a["path"], n, a["old_text"][:120]))
    with open(full, "w", encoding="utf-8") as fh:
        fh.write(text.replace(a["old_text"], a["new_text"]))
    return "edit applied"


def do_create(root, a):
    full = rel_ok(root, a["path"])
    if os.path.exists(full):
        raise ValueError("create_file: %s already exists" % a["path"])
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as fh:
        fh.write(a["content"])
    return "created"


def do_run(root, a, timings):
    cwd = rel_ok(root, a.get("cwd", "."))
    t0 = time.time()
    r = subprocess.run(["bash", "-c", a["command"]], cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=a.get("timeout", 60))
    dt = time.time() - t0
    timings.append((dt, a["command"]))
    if dt > 5:
        warn("slow command (%.1fs): %s" % (dt, a["command"]))
    return r.stdout.decode("utf-8", "replace") + ("\n[exit %d]" % r.returncode if r.returncode else "")


def replay(session, transcript=None, keep=False):
    tmp = tempfile.mkdtemp(prefix="sessb-check-")
    root = os.path.join(tmp, "ws")
    shutil.copytree(os.path.join(HERE, "workspace"), root)
    subprocess.run(["git", "init", "-q"], cwd=root)
    turns = session["turns"] + [session["next_day"]]
    per_turn = []  # dicts: all, user, assistant, file, shell, edit
    timings = []
    tr = []
    for i, t in enumerate(turns):
        rec = collections.defaultdict(list)
        label = "NEXT DAY" if i == len(turns) - 1 else "TURN %d" % i
        if "user" in t:
            rec["user"].append(t["user"])
            rec["all"].append(t["user"])
            tr.append("\n==== %s user: %s" % (label, t["user"]))
        else:
            try:
                code = do_read(root, {"path": t["path"], "start_line": t["start_line"],
                                      "end_line": t["end_line"]})
                with open(os.path.join(root, t["path"]), encoding="utf-8") as fh:
                    nlines = len(fh.read().splitlines())
                if t["end_line"] > nlines:
                    fail("turn %d: action end_line %d > %d lines" % (i, t["end_line"], nlines))
            except ValueError as exc:
                fail("turn %d: action target: %s" % (i, exc))
                code = ""
            rec["all"].append(code)
            tr.append("\n==== %s action %s %s:%d-%d\n%s" % (label, t["action"], t["path"],
                                                           t["start_line"], t["end_line"], code))
        for j, st in enumerate(t["steps"]):
            if "answer" in st:
                rec["assistant"].append(st["answer"])
                rec["all"].append(st["answer"])
                tr.append("---- answer:\n%s" % st["answer"])
                continue
            if st.get("say"):
                rec["assistant"].append(st["say"])
                rec["all"].append(st["say"])
            tool, a = st["tool"], st["args"]
            rec["all"].append(json.dumps(a, ensure_ascii=False))
            try:
                if tool == "read_file":
                    out = do_read(root, a)
                    rec["file"].append(out)
                elif tool == "list_files":
                    out = do_list(root, a)
                elif tool == "search":
                    out = do_search(root, a)
                elif tool == "propose_edit":
                    out = do_edit(root, a)
                    rec["edit"].append(a["new_text"])
                elif tool == "create_file":
                    out = do_create(root, a)
                    rec["edit"].append(a["content"])
                    rec["edit"].append(a["path"])
                elif tool == "run_command":
                    out = do_run(root, a, timings)
                    rec["shell"].append(out)
                else:
                    out = "(memory tool, output not simulated)"
            except (ValueError, OSError, re.error, subprocess.TimeoutExpired) as exc:
                fail("turn %d step %d (%s): %s" % (i, j, tool, exc))
                out = ""
            rec["all"].append(out)
            tr.append("---- %s %s\n%s" % (tool, json.dumps(a, ensure_ascii=False)[:300], out))
        per_turn.append(rec)
    if transcript:
        with open(transcript, "w", encoding="utf-8") as fh:
            fh.write("\n".join(tr) + "\n")
    if keep:
        print("replayed workspace kept at", root)
    else:
        shutil.rmtree(tmp)
    return per_turn, timings, sum(len(x) for x in tr)


# ----------------------------------------------------------------- facts
def check_facts(session, per_turn):
    facts = session["facts"]
    ids = [f.get("id") for f in facts]
    if len(set(ids)) != len(ids):
        fail("duplicate fact ids")
    values = [f.get("value") for f in facts]
    if len(set(values)) != len(values):
        fail("duplicate fact values")
    by_id = {f.get("id"): f for f in facts}
    n_day1 = len(session["turns"])
    for f in facts:
        fid = f.get("id")
        req = {"id", "value", "kind", "source", "turn", "query", "question"}
        if req - set(f) or set(f) - req - {"replaced_by"}:
            fail("fact %s: keys %s" % (fid, sorted(f)))
            continue
        if f["kind"] not in KINDS:
            fail("fact %s: kind %r" % (fid, f["kind"]))
        if f["source"] not in SOURCES:
            fail("fact %s: source %r" % (fid, f["source"]))
        if not isinstance(f["turn"], int) or not 0 <= f["turn"] < n_day1:
            fail("fact %s: turn %r out of range" % (fid, f["turn"]))
            continue
        if not isinstance(f["value"], str) or len(f["value"]) < 4:
            fail("fact %s: value too short / not a string" % fid)
            continue
        for key in ("query", "question"):
            if not isinstance(f[key], str) or not f[key].strip():
                fail("fact %s: empty %s" % (fid, key))
        rec = per_turn[f["turn"]]
        if not any(f["value"] in text for text in rec[f["source"]]):
            fail("fact %s (%s): value %r not found in %s text of turn %d"
                 % (fid, f["source"], f["value"], f["source"], f["turn"]))
        for k in range(f["turn"]):
            if any(f["value"] in text for text in per_turn[k]["all"]):
                fail("fact %s: value %r already appears in turn %d (before %d)"
                     % (fid, f["value"], k, f["turn"]))
                break
        if "replaced_by" in f:
            new = by_id.get(f["replaced_by"])
            if not new:
                fail("fact %s: replaced_by %r unknown" % (fid, f["replaced_by"]))
            elif new["turn"] <= f["turn"]:
                fail("fact %s: replacement %s is not later" % (fid, new["id"]))
    if not 45 <= len(facts) <= 50:
        warn("%d facts (FORMAT asks for ~45-50)" % len(facts))
    if not any(f["turn"] >= n_day1 - 10 for f in facts):
        fail("no facts in the last ten turns")
    if sum(1 for f in facts if "replaced_by" in f) != 3:
        warn("expected 3 replaced values")


def main():
    transcript = None
    if "--transcript" in sys.argv:
        transcript = sys.argv[sys.argv.index("--transcript") + 1]
    with open(os.path.join(HERE, "session.json"), encoding="utf-8") as fh:
        session = json.load(fh)
    check_schema(session)
    if errors:
        for e in errors:
            print("ERROR:", e)
        return 1
    per_turn, timings, chars = replay(session, transcript, "--keep" in sys.argv)
    check_facts(session, per_turn)

    turns = session["turns"] + [session["next_day"]]
    steps = [st for t in turns for st in t["steps"]]
    tools = collections.Counter(st["tool"] for st in steps if "tool" in st)
    kinds = collections.Counter(t.get("action", "chat") for t in turns)
    print("turns: %d day-1 + 1 next_day (%s)" % (len(session["turns"]),
                                                 ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
    print("steps: %d (tool calls %d, answers %d)" % (len(steps), sum(tools.values()),
                                                     len(steps) - sum(tools.values())))
    print("tool calls:", ", ".join("%s %d" % kv for kv in tools.most_common()))
    facts = session["facts"]
    print("facts: %d" % len(facts))
    print("  by source:", ", ".join("%s %d" % kv for kv in collections.Counter(f["source"] for f in facts).most_common()))
    print("  by kind:  ", ", ".join("%s %d" % kv for kv in collections.Counter(f["kind"] for f in facts).most_common()))
    print("  replaced: %d" % sum(1 for f in facts if "replaced_by" in f))
    print("transcript size: ~%d chars (~%d tokens)" % (chars, chars // 4))
    if timings:
        slow = max(timings)
        print("commands: %d, total %.1fs, slowest %.1fs" % (len(timings), sum(t for t, _ in timings), slow[0]))
    for w in warnings:
        print("WARNING:", w)
    for e in errors:
        print("ERROR:", e)
    print("FAIL" if errors else "OK")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
