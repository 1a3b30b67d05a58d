#!/usr/bin/env python3
"""Self-check for session-c (stdlib only).

    python3 check.py            # validate session.json against workspace/

Copies workspace/ to a temporary directory, replays every step of day 1 and of the
next_day turn with plain Python/bash (read_file, list_files and search are simulated;
propose_edit, create_file and run_command are applied for real), and fails when:

* session.json breaks the schema of FORMAT.md (turn shapes, step shapes, tool argument
  names, a step list that does not end in an answer, answers before the end, facts);
* an edit's old_text does not occur exactly once, or create_file targets an existing file;
* a command exits non-zero where that is not expected, or takes too long;
* a fact's value does not first appear in the turn and in the kind of text its
  ``source`` says (user message, assistant text, file read, command output, edit);
* a file fact shows up in user/assistant text, or a shell fact in any file or text
  other than command output;
* a replaced fact is not replaced by a later fact.

Prints the counts (turns, steps, tool calls by tool, facts by source and kind).
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
SESSION = os.path.join(HERE, "session.json")
WORKSPACE = os.path.join(HERE, "workspace")

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

# Commands that are expected to exit non-zero (a failing test run before the fix, ...).
EXPECTED_NONZERO = {
    "python3 -m unittest tests.test_midnight -v",
    "python3 -m unittest discover -s tests 2>&1 | tail -40",
}


class CheckError(Exception):
    pass


def fail(msg):
    raise CheckError(msg)


# --------------------------------------------------------------------- schema
def check_step(where, step, last):
    if not isinstance(step, dict):
        fail("%s: step is not an object" % where)
    if "answer" in step:
        if set(step) != {"answer"}:
            fail("%s: answer step has extra keys %s" % (where, sorted(set(step) - {"answer"})))
        if not isinstance(step["answer"], str) or not step["answer"].strip():
            fail("%s: empty answer" % where)
        if not last:
            fail("%s: answer before the end of the turn" % where)
        return
    if last:
        fail("%s: the last step is not an answer" % where)
    extra = set(step) - {"tool", "args", "say"}
    if extra:
        fail("%s: unknown keys %s" % (where, sorted(extra)))
    tool = step.get("tool")
    if tool not in TOOLS:
        fail("%s: unknown tool %r" % (where, tool))
    if "say" in step and (not isinstance(step["say"], str) or not step["say"].strip()):
        fail("%s: empty say" % where)
    args = step.get("args")
    if not isinstance(args, dict):
        fail("%s: args is not an object" % where)
    required, optional = TOOLS[tool]
    missing = required - set(args)
    unknown = set(args) - required - optional
    if missing or unknown:
        fail("%s: %s args missing %s unknown %s" % (where, tool, sorted(missing), sorted(unknown)))
    for k, v in args.items():
        if k in ("start_line", "end_line", "timeout"):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                fail("%s: %s must be a positive integer" % (where, k))
        elif k in ("regex", "recursive"):
            if not isinstance(v, bool):
                fail("%s: %s must be a boolean" % (where, k))
        elif k == "paths":
            if not (isinstance(v, list) and all(isinstance(p, str) for p in v)):
                fail("%s: paths must be a list of strings" % where)
        elif not isinstance(v, str):
            fail("%s: %s must be a string" % (where, k))
    if tool == "read_file" and "start_line" in args and "end_line" in args \
            and args["end_line"] < args["start_line"]:
        fail("%s: read_file end_line is before start_line" % where)
    if tool == "remember" and args.get("kind", "fact") not in REMEMBER_KINDS:
        fail("%s: bad remember kind" % where)


def check_turn(where, turn):
    if not isinstance(turn, dict):
        fail("%s: not an object" % where)
    if "user" in turn:
        if set(turn) != {"user", "steps"}:
            fail("%s: chat turn keys %s" % (where, sorted(turn)))
        if not isinstance(turn["user"], str) or not turn["user"].strip():
            fail("%s: empty user message" % where)
    elif "action" in turn:
        if set(turn) != {"action", "path", "start_line", "end_line", "steps"}:
            fail("%s: action turn keys %s" % (where, sorted(turn)))
        if turn["action"] not in ACTIONS:
            fail("%s: unknown action %r" % (where, turn["action"]))
        if not (1 <= turn["start_line"] <= turn["end_line"]):
            fail("%s: bad line range" % where)
    else:
        fail("%s: neither a chat nor an action turn" % where)
    steps = turn["steps"]
    if not isinstance(steps, list) or not steps:
        fail("%s: no steps" % where)
    for i, step in enumerate(steps):
        check_step("%s step %d" % (where, i), step, i == len(steps) - 1)


def check_schema(s):
    if set(s) != {"name", "context_window", "turns", "next_day", "facts"}:
        fail("top-level keys %s" % sorted(s))
    if not isinstance(s["name"], str) or not isinstance(s["context_window"], int):
        fail("name/context_window types")
    for i, t in enumerate(s["turns"]):
        check_turn("turn %d" % i, t)
    check_turn("next_day", s["next_day"])
    if "user" not in s["next_day"]:
        fail("next_day must be a chat turn")
    ids = set()
    for f in s["facts"]:
        where = "fact %s" % f.get("id")
        need = {"id", "value", "kind", "source", "turn", "query", "question"}
        if need - set(f) or set(f) - need - {"replaced_by"}:
            fail("%s: keys %s" % (where, sorted(f)))
        if f["id"] in ids:
            fail("%s: duplicate id" % where)
        ids.add(f["id"])
        if f["kind"] not in KINDS or f["source"] not in SOURCES:
            fail("%s: bad kind/source" % where)
        if not isinstance(f["turn"], int) or not 0 <= f["turn"] < len(s["turns"]):
            fail("%s: bad turn" % where)
        for k in ("value", "query", "question"):
            if not isinstance(f[k], str) or not f[k].strip():
                fail("%s: empty %s" % (where, k))
    by_id = {f["id"]: f for f in s["facts"]}
    for f in s["facts"]:
        if "replaced_by" in f:
            new = by_id.get(f["replaced_by"])
            if new is None:
                fail("fact %s: replaced_by %s does not exist" % (f["id"], f["replaced_by"]))
            if new["turn"] <= f["turn"]:
                fail("fact %s: replacement %s is not later" % (f["id"], new["id"]))


# --------------------------------------------------------------------- replay
def numbered(text, start=None, end=None):
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    s = (start or 1) - 1
    e = end or len(lines)
    return "\n".join("%6d\t%s" % (i + 1, lines[i]) for i in range(s, min(e, len(lines))))


def walk(root, sub="."):
    base = os.path.normpath(os.path.join(root, sub))
    if os.path.isfile(base):
        yield os.path.relpath(base, root)
        return
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for fn in sorted(filenames):
            yield os.path.relpath(os.path.join(dirpath, fn), root)


def read_text(root, rel):
    try:
        with open(os.path.join(root, rel), encoding="utf-8") as fh:
            return fh.read()
    except (UnicodeDecodeError, OSError):
        return None


def do_search(root, args):
    q = args["query"]
    pat = re.compile(q) if args.get("regex") else None
    glob = args.get("glob")
    out = []
    for rel in walk(root, args.get("path", ".")):
        if glob and not (fnmatch.fnmatch(rel, glob) or fnmatch.fnmatch(os.path.basename(rel), glob)):
            continue
        text = read_text(root, rel)
        if text is None:
            continue
        for n, line in enumerate(text.split("\n"), 1):
            if (pat.search(line) if pat else q in line):
                out.append("%s:%d: %s" % (rel, n, line))
    return "\n".join(out)


def replay(session, verbose=False):
    """Yield (turn_index, category, text) for everything the model would be sent.

    turn_index is 'next' for the next_day turn. Raises CheckError on script problems.
    """
    tmp = tempfile.mkdtemp(prefix="session-c-")
    root = os.path.join(tmp, "ws")
    shutil.copytree(WORKSPACE, root)
    subprocess.run("git init -q && git add -A && git -c user.email=a@b -c user.name=x "
                   "commit -qm init", shell=True, cwd=root, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    segs = []
    files_seen = []  # texts of every file version that existed
    for rel in walk(root):
        t = read_text(root, rel)
        if t is not None:
            files_seen.append(t)
    turns = list(enumerate(session["turns"])) + [("next", session["next_day"])]
    try:
        for ti, turn in turns:
            if "user" in turn:
                segs.append((ti, "user", turn["user"]))
            else:
                text = read_text(root, turn["path"])
                if text is None:
                    fail("turn %s: action path %s does not exist" % (ti, turn["path"]))
                n_lines = len(text.split("\n"))
                if turn["end_line"] > n_lines:
                    fail("turn %s: action end_line %d beyond %d lines" % (ti, turn["end_line"], n_lines))
                segs.append((ti, "file", numbered(text, turn["start_line"], turn["end_line"])))
            for si, step in enumerate(turn["steps"]):
                where = "turn %s step %d" % (ti, si)
                if "answer" in step:
                    segs.append((ti, "assistant", step["answer"]))
                    continue
                if "say" in step:
                    segs.append((ti, "assistant", step["say"]))
                tool, args = step["tool"], step["args"]
                if tool == "read_file":
                    text = read_text(root, args["path"])
                    if text is None:
                        fail("%s: read_file %s: no such file" % (where, args["path"]))
                    segs.append((ti, "file", numbered(text, args.get("start_line"), args.get("end_line"))))
                elif tool == "list_files":
                    names = list(walk(root, args.get("path", ".")))
                    if args.get("pattern"):
                        names = [n for n in names if fnmatch.fnmatch(os.path.basename(n), args["pattern"])]
                    segs.append((ti, "file", "\n".join(names)))
                elif tool == "search":
                    out = do_search(root, args)
                    if not out and verbose:
                        print("note: %s: search %r finds nothing" % (where, args["query"]))
                    segs.append((ti, "file", out))
                elif tool == "propose_edit":
                    path = os.path.join(root, args["path"])
                    text = read_text(root, args["path"])
                    if text is None:
                        fail("%s: propose_edit on missing file %s" % (where, args["path"]))
                    n = text.count(args["old_text"])
                    if n != 1:
                        fail("%s: old_text occurs %d times in %s" % (where, n, args["path"]))
                    text = text.replace(args["old_text"], args["new_text"])
                    with open(path, "w", encoding="utf-8") as fh:
                        fh.write(text)
                    files_seen.append(text)
                    segs.append((ti, "edit", args["new_text"]))
                    segs.append((ti, "edit_old", args["old_text"]))
                elif tool == "create_file":
                    path = os.path.join(root, args["path"])
                    if os.path.exists(path):
                        fail("%s: create_file on existing %s" % (where, args["path"]))
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(path, "w", encoding="utf-8") as fh:
                        fh.write(args["content"])
                    files_seen.append(args["content"])
                    segs.append((ti, "edit", args["content"]))
                elif tool == "run_command":
                    t0 = time.time()
                    p = subprocess.run(["bash", "-c", args["command"]],
                                       cwd=os.path.join(root, args.get("cwd", ".")),
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       timeout=args.get("timeout", 30))
                    dt = time.time() - t0
                    out = p.stdout.decode("utf-8", "replace")
                    if dt > 5:
                        fail("%s: command took %.1f s: %s" % (where, dt, args["command"]))
                    if p.returncode != 0 and args["command"] not in EXPECTED_NONZERO:
                        fail("%s: command exited %d: %s\n%s" % (where, p.returncode, args["command"], out[-2000:]))
                    segs.append((ti, "assistant", args["command"]))
                    segs.append((ti, "shell", out))
                    for rel in walk(root):
                        if rel.endswith((".py", ".md", ".json", ".ini", ".toml", ".txt", ".log", ".service")):
                            t = read_text(root, rel)
                            if t is not None:
                                files_seen.append(t)
                elif tool == "remember":
                    segs.append((ti, "assistant", args["text"]))
                elif tool in ("recall", "history"):
                    segs.append((ti, "assistant", args["query"]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return segs, files_seen


CATEGORY = {"user": {"user"}, "assistant": {"assistant"}, "file": {"file"},
            "shell": {"shell"}, "edit": {"edit"}}


def first_appearance(segs, value):
    for ti, cat, text in segs:
        if ti == "next":
            break
        if cat == "edit_old":
            continue
        if value in text:
            return ti, cat
    return None, None


def check_facts(session, segs, files_seen):
    problems = []
    day1 = [(ti, c, t) for ti, c, t in segs if ti != "next"]
    for f in session["facts"]:
        v = f["value"]
        ti, cat = first_appearance(segs, v)
        if ti is None:
            problems.append("%s %r never appears on day 1" % (f["id"], v))
            continue
        if ti != f["turn"]:
            problems.append("%s %r first appears in turn %s, declared %s" % (f["id"], v, ti, f["turn"]))
        if cat not in CATEGORY[f["source"]]:
            problems.append("%s %r first appears in %s text, declared source %s" % (f["id"], v, cat, f["source"]))
        if f["source"] == "file":
            for t2, c2, text in day1:
                if c2 in ("user", "assistant") and v in text:
                    problems.append("%s %r (file-only) appears in %s text of turn %s" % (f["id"], v, c2, t2))
                    break
        if f["source"] == "shell":
            for t2, c2, text in day1:
                if c2 in ("user", "assistant", "file", "edit", "edit_old") and v in text:
                    problems.append("%s %r (shell-only) appears in %s text of turn %s" % (f["id"], v, c2, t2))
                    break
            if any(v in t for t in files_seen):
                problems.append("%s %r (shell-only) is in a workspace file" % (f["id"], v))
    return problems


def counts(session):
    steps = 0
    tools = collections.Counter()
    actions = collections.Counter()
    for t in session["turns"]:
        steps += len(t["steps"])
        if "action" in t:
            actions[t["action"]] += 1
        for s in t["steps"]:
            if "tool" in s:
                tools[s["tool"]] += 1
    by_source = collections.Counter(f["source"] for f in session["facts"])
    by_kind = collections.Counter(f["kind"] for f in session["facts"])
    return steps, tools, actions, by_source, by_kind


def main():
    with open(SESSION, encoding="utf-8") as fh:
        session = json.load(fh)
    size = 0
    for rel in walk(WORKSPACE):
        path = os.path.join(WORKSPACE, rel)
        size += os.path.getsize(path)
        if read_text(WORKSPACE, rel) is None:
            fail("workspace/%s is not UTF-8 text" % rel)
    if size > 155 * 1024:
        fail("workspace is %d bytes (over ~150 KB)" % size)
    check_schema(session)
    segs, files_seen = replay(session, verbose=True)
    problems = check_facts(session, segs, files_seen)
    steps, tools, actions, by_source, by_kind = counts(session)
    chars = sum(len(t) for ti, c, t in segs if ti != "next" and c != "edit_old")
    print("workspace: %d bytes" % size)
    print("turns: %d day-1 (+1 next_day), code actions: %s" % (len(session["turns"]), dict(actions)))
    print("steps: %d day-1 (+%d next_day)" % (steps, len(session["next_day"]["steps"])))
    print("tool calls: %s" % dict(sorted(tools.items())))
    print("facts: %d; by source %s; by kind %s" % (len(session["facts"]), dict(sorted(by_source.items())),
                                                  dict(sorted(by_kind.items()))))
    print("replaced: %s" % ", ".join("%s->%s" % (f["id"], f["replaced_by"])
                                     for f in session["facts"] if "replaced_by" in f))
    print("day-1 text sent to the model: ~%d chars (~%d tokens, %.1f x an 8k window)"
          % (chars, chars // 4, chars / 4 / 8192))
    turns_with = collections.Counter(f["turn"] for f in session["facts"])
    print("facts per turn: %s" % dict(sorted(turns_with.items())))
    if problems:
        for p in problems:
            print("PROBLEM: " + p)
        print("FAIL")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CheckError as exc:
        print("FAIL: %s" % exc)
        sys.exit(1)
