#!/usr/bin/env python3
"""Self-check for this session (stdlib only).

Copies workspace/ to a temp dir (git init-ed), replays every step of
session.json in order with the same semantics as the harness tools, and fails
if:
  * the JSON breaks the schema (keys, tool names, argument names, step order);
  * a propose_edit old_text does not occur exactly once at that moment, or a
    create_file targets an existing file, or a read_file targets a missing one;
  * a fact's value does not first appear in the turn it names, or does not
    come from where its source says (user text, assistant text, a file the
    agent read, a command's output, an edit);
  * a file/shell fact's value also shows up in user or assistant text or in
    tool arguments during day 1 (it must reach the model only through tools).

Usage:  python3 check.py            # check, print counts
        python3 check.py --show N  # also print the simulated tool output of turn N
        python3 check.py --dump    # print every tool output (long)
"""
import collections
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
    # name: (required args, optional args)
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
FACT_KINDS = {"port", "host", "url", "path", "command", "env", "version", "ticket", "decision",
              "directive", "error", "fix", "name", "number", "other"}
FACT_SOURCES = {"user", "assistant", "file", "shell", "edit"}
REMEMBER_KINDS = {"fact", "decision", "convention", "gotcha", "preference", "todo"}
SKIP_DIRS = {".git", "__pycache__"}

errors = []


def fail(msg):
    errors.append(msg)


# ---------------------------------------------------------------- schema ---

def check_step(where, step, last):
    if not isinstance(step, dict):
        fail("%s: step is not an object" % where)
        return
    if "answer" in step:
        if set(step) != {"answer"}:
            fail("%s: answer step has extra keys %s" % (where, sorted(set(step) - {"answer"})))
        if not isinstance(step["answer"], str) or not step["answer"].strip():
            fail("%s: empty answer" % where)
        if not last:
            fail("%s: answer before the last step" % where)
        return
    if last:
        fail("%s: last step is not an answer" % where)
    extra = set(step) - {"tool", "args", "say"}
    if extra:
        fail("%s: unknown step keys %s" % (where, sorted(extra)))
    tool = step.get("tool")
    if tool not in TOOLS:
        fail("%s: unknown tool %r" % (where, tool))
        return
    if "say" in step and not isinstance(step["say"], str):
        fail("%s: say must be a string" % where)
    args = step.get("args")
    if not isinstance(args, dict):
        fail("%s: args must be an object" % where)
        return
    req, opt = TOOLS[tool]
    missing = req - set(args)
    unknown = set(args) - req - opt
    if missing:
        fail("%s: %s missing args %s" % (where, tool, sorted(missing)))
    if unknown:
        fail("%s: %s unknown args %s" % (where, tool, sorted(unknown)))
    for k in ("path", "old_text", "new_text", "content", "command", "query", "text", "pattern",
              "glob", "description", "cwd"):
        if k in args and not isinstance(args[k], str):
            fail("%s: %s.%s must be a string" % (where, tool, k))
    for k in ("start_line", "end_line", "timeout"):
        if k in args and (not isinstance(args[k], int) or isinstance(args[k], bool)):
            fail("%s: %s.%s must be an integer" % (where, tool, k))
    for k in ("recursive", "regex"):
        if k in args and not isinstance(args[k], bool):
            fail("%s: %s.%s must be a boolean" % (where, tool, k))
    if tool == "remember":
        if "kind" in args and args["kind"] not in REMEMBER_KINDS:
            fail("%s: remember.kind %r" % (where, args["kind"]))
        if "paths" in args and not (isinstance(args["paths"], list) and all(isinstance(p, str) for p in args["paths"])):
            fail("%s: remember.paths must be a list of strings" % where)


def check_turn(where, turn):
    if not isinstance(turn, dict):
        fail("%s: turn is not an object" % where)
        return
    if "user" in turn:
        extra = set(turn) - {"user", "steps"}
        if extra:
            fail("%s: chat turn has extra keys %s" % (where, sorted(extra)))
        if not isinstance(turn["user"], str) or not turn["user"].strip():
            fail("%s: empty user text" % where)
    elif "action" in turn:
        extra = set(turn) - {"action", "path", "start_line", "end_line", "steps"}
        if extra:
            fail("%s: action turn has extra keys %s" % (where, sorted(extra)))
        if turn["action"] not in ACTIONS:
            fail("%s: unknown action %r" % (where, turn["action"]))
        for k in ("path", "start_line", "end_line"):
            if k not in turn:
                fail("%s: action turn missing %s" % (where, k))
    else:
        fail("%s: turn is neither chat nor action" % where)
    steps = turn.get("steps")
    if not isinstance(steps, list) or not steps:
        fail("%s: steps must be a non-empty list" % where)
        return
    for i, step in enumerate(steps):
        check_step("%s step %d" % (where, i), step, i == len(steps) - 1)


# ---------------------------------------------------------------- replay ---

class Replay:
    def __init__(self, root):
        self.root = root

    def abspath(self, rel):
        p = os.path.normpath(os.path.join(self.root, rel or "."))
        if not (p == self.root or p.startswith(self.root + os.sep)):
            raise ValueError("path escapes workspace: %r" % rel)
        return p

    def read_text(self, rel):
        with open(self.abspath(rel), encoding="utf-8") as fh:
            return fh.read()

    def all_files(self, rel="."):
        base = self.abspath(rel)
        if os.path.isfile(base):
            yield os.path.relpath(base, self.root)
            return
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for name in sorted(filenames):
                yield os.path.relpath(os.path.join(dirpath, name), self.root)

    def snapshot_text(self):
        out = []
        for rel in self.all_files():
            try:
                out.append(self.read_text(rel))
            except (UnicodeDecodeError, OSError):
                pass
        return "\n".join(out)

    # tools --------------------------------------------------------------
    def read_file(self, args):
        path = args["path"]
        if not os.path.isfile(self.abspath(path)):
            raise ValueError("read_file: no such file %s" % path)
        lines = self.read_text(path).splitlines()
        start = args.get("start_line", 1)
        end = args.get("end_line", len(lines))
        if start < 1 or (lines and start > len(lines)) or end < start:
            raise ValueError("read_file: bad range %s-%s for %s (%d lines)" % (start, end, path, len(lines)))
        end = min(end, len(lines))
        return "\n".join("%d: %s" % (i, lines[i - 1]) for i in range(start, end + 1))

    def list_files(self, args):
        rel = args.get("path", ".")
        if not os.path.exists(self.abspath(rel)):
            raise ValueError("list_files: no such path %s" % rel)
        recursive = args.get("recursive", True)
        pattern = args.get("pattern")
        import fnmatch
        out = []
        for f in self.all_files(rel):
            if not recursive and os.path.dirname(os.path.relpath(f, rel if rel != "." else "")) not in ("", "."):
                continue
            if pattern and not (fnmatch.fnmatch(os.path.basename(f), pattern) or fnmatch.fnmatch(f, pattern)):
                continue
            out.append(f)
        return "\n".join(out)

    def search(self, args):
        import fnmatch
        query = args["query"]
        rx = re.compile(query if args.get("regex") else re.escape(query), re.IGNORECASE)
        glob = args.get("glob")
        out = []
        for f in self.all_files(args.get("path", ".")):
            if glob and not (fnmatch.fnmatch(os.path.basename(f), glob) or fnmatch.fnmatch(f, glob)):
                continue
            try:
                text = self.read_text(f)
            except (UnicodeDecodeError, OSError):
                continue
            for i, line in enumerate(text.splitlines(), 1):
                if rx.search(line):
                    out.append("%s:%d: %s" % (f, i, line))
        return "\n".join(out)

    def propose_edit(self, args):
        path = args["path"]
        if not os.path.isfile(self.abspath(path)):
            raise ValueError("propose_edit: no such file %s" % path)
        text = self.read_text(path)
        n = text.count(args["old_text"])
        if n != 1:
            raise ValueError("propose_edit %s: old_text occurs %d times: %r" % (path, n, args["old_text"][:80]))
        with open(self.abspath(path), "w", encoding="utf-8") as fh:
            fh.write(text.replace(args["old_text"], args["new_text"], 1))
        return "edit applied to %s" % path

    def create_file(self, args):
        p = self.abspath(args["path"])
        if os.path.exists(p):
            raise ValueError("create_file: %s already exists" % args["path"])
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(args["content"])
        return "created %s" % args["path"]

    def run_command(self, args):
        cwd = self.abspath(args.get("cwd", "."))
        t0 = time.time()
        proc = subprocess.run(["bash", "-c", args["command"]], cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=args.get("timeout", 30))
        dt = time.time() - t0
        if dt > 5:
            fail("run_command took %.1fs (> 5s): %s" % (dt, args["command"]))
        out = proc.stdout.decode("utf-8", "replace")
        return out + "\n[exit code %d]" % proc.returncode, proc.returncode

    def action_prompt(self, turn):
        path = turn["path"]
        if not os.path.isfile(self.abspath(path)):
            raise ValueError("action on missing file %s" % path)
        lines = self.read_text(path).splitlines()
        s, e = turn["start_line"], turn["end_line"]
        if not (1 <= s <= e <= len(lines)):
            raise ValueError("action range %d-%d outside %s (%d lines)" % (s, e, path, len(lines)))
        return "%s %s lines %d-%d:\n%s" % (turn["action"], path, s, e, "\n".join(lines[s - 1:e]))


def replay(session, show=None, dump=False):
    tmp = tempfile.mkdtemp(prefix="session-d-")
    root = os.path.join(tmp, "ws")
    shutil.copytree(os.path.join(HERE, "workspace"), root)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    rp = Replay(root)
    events = []  # (day, turn, kind, text, extra)
    all_turns = [(1, i, t) for i, t in enumerate(session["turns"])] + [(2, -1, session["next_day"])]
    try:
        for day, ti, turn in all_turns:
            tag = "next_day" if day == 2 else "turn %d" % ti
            if "user" in turn:
                events.append((day, ti, "user", turn["user"], None))
            else:
                try:
                    events.append((day, ti, "prompt", rp.action_prompt(turn), turn["path"]))
                except ValueError as exc:
                    fail("%s: %s" % (tag, exc))
            for si, step in enumerate(turn["steps"]):
                where = "%s step %d" % (tag, si)
                if "say" in step:
                    events.append((day, ti, "say", step["say"], None))
                if "answer" in step:
                    events.append((day, ti, "answer", step["answer"], None))
                    continue
                tool, args = step.get("tool"), step.get("args", {})
                if tool not in TOOLS:
                    continue
                arg_text = "\n".join(str(v) for v in args.values())
                events.append((day, ti, "args", arg_text, (tool, args)))
                try:
                    if tool == "run_command":
                        out, rc = rp.run_command(args)
                        events.append((day, ti, "shell", out, (tool, args, rp.snapshot_text())))
                    elif tool in ("read_file", "list_files", "search"):
                        out = getattr(rp, tool)(args)
                        events.append((day, ti, tool, out, args))
                    elif tool in ("propose_edit", "create_file"):
                        out = getattr(rp, tool)(args)
                        events.append((day, ti, "edit", args["path"] + "\n" + args.get("new_text", args.get("content", "")), args))
                    else:
                        out = "(%s: memory tool, not simulated)" % tool
                except (ValueError, subprocess.TimeoutExpired) as exc:
                    fail("%s: %s" % (where, exc))
                    out = "ERROR %s" % exc
                if dump or (show is not None and ti == show and day == 1) or (show == -1 and day == 2):
                    print("=" * 78)
                    print("[%s] %s %s" % (where, tool, json.dumps({k: (v if len(str(v)) < 200 else str(v)[:200] + "...") for k, v in args.items()}, ensure_ascii=False)))
                    print("-" * 78)
                    print(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return events


# ----------------------------------------------------------------- facts ---

def check_facts(session, events):
    facts = session["facts"]
    ids = [f.get("id") for f in facts]
    if len(set(ids)) != len(ids):
        fail("duplicate fact ids")
    by_id = {f.get("id"): f for f in facts}
    nturns = len(session["turns"])
    day1 = [e for e in events if e[0] == 1]
    replaced = 0
    for f in facts:
        fid = f.get("id", "?")
        need = {"id", "value", "kind", "source", "turn", "query", "question"}
        missing = need - set(f)
        extra = set(f) - need - {"replaced_by"}
        if missing or extra:
            fail("%s: missing %s extra %s" % (fid, sorted(missing), sorted(extra)))
            continue
        if f["kind"] not in FACT_KINDS:
            fail("%s: bad kind %r" % (fid, f["kind"]))
        if f["source"] not in FACT_SOURCES:
            fail("%s: bad source %r" % (fid, f["source"]))
        if not isinstance(f["turn"], int) or not 0 <= f["turn"] < nturns:
            fail("%s: bad turn %r" % (fid, f["turn"]))
            continue
        v = f["value"]
        if not isinstance(v, str) or len(v) < 3:
            fail("%s: value too short / not a string" % fid)
            continue
        if "replaced_by" in f:
            replaced += 1
            new = by_id.get(f["replaced_by"])
            if new is None:
                fail("%s: replaced_by unknown %r" % (fid, f["replaced_by"]))
            elif new["turn"] <= f["turn"]:
                fail("%s: replaced_by %s is not later" % (fid, new["id"]))
            elif new["kind"] != f["kind"]:
                fail("%s: replaced_by %s has a different kind" % (fid, new["id"]))
        hits = [e for e in day1 if v in e[3]]
        if not hits:
            fail("%s: value %r never appears in day 1" % (fid, v))
            continue
        first = min(e[1] for e in hits)
        if first != f["turn"]:
            kinds = sorted({e[2] for e in hits if e[1] == first})
            fail("%s: value %r first appears in turn %d (%s), fact says %d" % (fid, v, first, kinds, f["turn"]))
        at = [e for e in hits if e[1] == f["turn"]]
        src = f["source"]
        if src == "user":
            if not any(e[2] == "user" for e in at):
                fail("%s: %r not in the user message of turn %d" % (fid, v, f["turn"]))
        elif src == "assistant":
            if not any(e[2] in ("say", "answer") for e in at):
                fail("%s: %r not in assistant text of turn %d" % (fid, v, f["turn"]))
            if any(e[2] in ("user", "prompt") for e in at):
                fail("%s: assistant fact also in the user text" % fid)
        elif src == "file":
            if not any(e[2] in ("read_file", "prompt") for e in at):
                fail("%s: %r not in a file read in turn %d" % (fid, v, f["turn"]))
        elif src == "shell":
            shell_hits = [e for e in at if e[2] == "shell"]
            if not shell_hits:
                fail("%s: %r not in command output in turn %d" % (fid, v, f["turn"]))
            for e in shell_hits:
                if v in e[4][2]:
                    fail("%s: shell value %r is also present in a workspace file" % (fid, v))
                    break
        elif src == "edit":
            if not any(e[2] == "edit" for e in at):
                fail("%s: %r not introduced by an edit in turn %d" % (fid, v, f["turn"]))
        if src in ("file", "shell"):
            leaks = [e for e in hits if e[2] in ("user", "say", "answer", "args")]
            for e in leaks:
                fail("%s: %s value %r also in %s text of turn %d" % (fid, src, v, e[2], e[1]))
    return replaced


# ------------------------------------------------------------------ main ---

def main(argv):
    show = None
    if "--show" in argv:
        show = int(argv[argv.index("--show") + 1])
    dump = "--dump" in argv
    path = os.path.join(HERE, "session.json")
    try:
        with open(path, encoding="utf-8") as fh:
            session = json.load(fh)
    except (OSError, ValueError) as exc:
        print("FAIL: cannot load session.json: %s" % exc)
        return 1

    for k, typ in (("name", str), ("context_window", int), ("turns", list), ("next_day", dict), ("facts", list)):
        if not isinstance(session.get(k), typ):
            fail("top level: %s missing or not %s" % (k, typ.__name__))
    extra = set(session) - {"name", "context_window", "turns", "next_day", "facts"}
    if extra:
        fail("top level: unknown keys %s" % sorted(extra))
    if errors:
        print("\n".join("FAIL: " + e for e in errors))
        return 1
    for i, t in enumerate(session["turns"]):
        check_turn("turn %d" % i, t)
    check_turn("next_day", session["next_day"])
    if "user" not in session["next_day"]:
        fail("next_day must be a chat turn")
    if errors:
        print("\n".join("FAIL: " + e for e in errors))
        return 1

    events = replay(session, show=show, dump=dump)
    replaced = check_facts(session, events)
    if replaced != 3:
        fail("expected 3 facts with replaced_by, found %d" % replaced)

    # next_day must mention / need several planted values: count facts whose
    # values show up in the next_day steps' text (answer, args, outputs)
    nd_text = "\n".join(e[3] for e in events if e[0] == 2)
    nd_facts = sorted(f["id"] for f in session["facts"] if f["value"] in nd_text)

    turns = session["turns"]
    steps = sum(len(t["steps"]) for t in turns)
    tools = collections.Counter(s["tool"] for t in turns for s in t["steps"] if "tool" in s)
    nd_tools = collections.Counter(s["tool"] for s in session["next_day"]["steps"] if "tool" in s)
    by_source = collections.Counter(f["source"] for f in session["facts"])
    by_kind = collections.Counter(f["kind"] for f in session["facts"])
    actions = collections.Counter(t["action"] for t in turns if "action" in t)
    chars = sum(len(e[3]) for e in events if e[0] == 1)
    last10 = sorted(f["id"] for f in session["facts"] if f["turn"] >= len(turns) - 10)

    print("name: %s   context_window: %d" % (session["name"], session["context_window"]))
    print("turns: %d (chat %d, code actions %d: %s)" % (len(turns), len(turns) - sum(actions.values()),
                                                     sum(actions.values()), dict(actions)))
    print("steps: %d (tool calls %d, answers %d)" % (steps, sum(tools.values()), len(turns)))
    print("tool calls by tool: %s" % dict(sorted(tools.items())))
    print("next_day: %d steps, tools %s" % (len(session["next_day"]["steps"]), dict(nd_tools)))
    print("facts: %d  by source %s" % (len(session["facts"]), dict(sorted(by_source.items()))))
    print("       by kind %s" % dict(sorted(by_kind.items())))
    print("replaced_by: %d   facts in last ten turns: %s" % (replaced, ", ".join(last10)))
    print("facts visible in next_day replay: %s" % ", ".join(nd_facts))
    print("day-1 text sent/produced: %d chars (~%d tokens)" % (chars, chars // 4))
    if errors:
        print()
        print("\n".join("FAIL: " + e for e in errors))
        print("%d problem(s)" % len(errors))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
