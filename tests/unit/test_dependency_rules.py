"""Dependencies point down (ARCHITECTURE.md), checked for every package by reading its imports.

The imports are parsed with `ast`, never executed: every ``import``/``from`` statement counts,
including those inside functions and ``if TYPE_CHECKING:`` blocks, relative ones, and
``importlib.import_module("literal")`` calls. Each violation is reported as file:line.
The `cairn` package itself (the command line) may import anything.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LSP_LIBRARIES = ("pygls", "lsprotocol")
PRODUCT = ("cairn.server", "cairn.memory", "cairn.skills")  # every package but the CLI


@dataclass(frozen=True)
class Rule:
    """Modules under ``importers`` (minus ``allowed``) must not import anything under ``forbidden``."""

    says: str
    importers: tuple[str, ...]
    forbidden: tuple[str, ...]
    allowed: tuple[str, ...] = ()


RULES = (
    Rule(
        "memory/ and skills/ are pure domain packages",
        importers=("cairn.memory", "cairn.skills"),
        forbidden=(*LSP_LIBRARIES, "litellm", "cairn.server"),
    ),
    Rule(
        "only server/lsp imports pygls and lsprotocol",
        importers=PRODUCT,
        forbidden=LSP_LIBRARIES,
        allowed=("cairn.server.lsp",),
    ),
    Rule(
        "only server/agent/model.py imports litellm",
        importers=PRODUCT,
        forbidden=("litellm",),
        allowed=("cairn.server.agent.model",),
    ),
    Rule(
        "nothing below server/lsp imports it (app.py, the composition root, and __main__.py do)",
        importers=PRODUCT,
        forbidden=("cairn.server.lsp",),
        allowed=("cairn.server.lsp", "cairn.server.app", "cairn.server.__main__"),
    ),
    Rule(
        "only the skill trainer's Ray executor imports ray (the optional ray extra)",
        importers=PRODUCT,
        forbidden=("ray",),
        allowed=("cairn.skills.optimize.ray_executor",),
    ),
)


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    importer: str  # dotted name of the importing module
    target: str  # dotted name of what it imports


def under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def package_roots(repo: Path) -> dict[str, str]:
    """setup.py's ``ROOTS`` (import name -> folder), read without running setup.py."""
    tree = ast.parse((repo / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "ROOTS" for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py defines no ROOTS")


def modules(repo: Path, roots: dict[str, str]) -> Iterator[tuple[str, Path, bool]]:
    """(dotted module name, file, is a package __init__) of every module of every package."""
    for name, folder in roots.items():
        base = repo / folder
        for path in sorted(base.rglob("*.py")):
            parts = path.relative_to(base).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            yield ".".join((name, *(parts[:-1] if is_package else parts))), path, is_package


def imports_of(path: Path, module: str, is_package: bool) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, module, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:  # `from cairn import server` imports the package cairn.server
                target = base if alias.name == "*" else f"{base}.{alias.name}"
                yield Import(path, node.lineno, module, target)
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (isinstance(node.func, ast.Name) and node.func.id == "import_module")
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield Import(path, node.lineno, module, node.args[0].value)


def all_imports(repo: Path) -> list[Import]:
    return [
        found
        for module, path, is_package in modules(repo, package_roots(repo))
        for found in imports_of(path, module, is_package)
    ]


def violations(found: list[Import], repo: Path, rules: tuple[Rule, ...] = RULES) -> list[str]:
    """One line per offending import: ``file:line: importer imports target (rules it breaks)``."""
    lines = set()
    for item in found:
        broken = [
            rule.says
            for rule in rules
            if under(item.importer, rule.importers)
            and not under(item.importer, rule.allowed)
            and under(item.target, rule.forbidden)
        ]
        if broken:
            where = f"{item.path.relative_to(repo)}:{item.line}"
            lines.add(f"{where}: {item.importer} imports {item.target} ({'; '.join(broken)})")
    return sorted(lines)


def test_every_package_follows_the_dependency_rules():
    found = all_imports(REPO)
    # The scan sees what it must see, or an empty result would prove nothing.
    importers = {i.importer for i in found}
    assert {"cairn.cli", "cairn.server.app", "cairn.memory.store", "cairn.skills.catalog"} <= importers
    assert any(i.importer == "cairn.server.agent.model" and i.target == "litellm" for i in found)
    problems = violations(found, REPO)
    assert not problems, "dependency rules broken:\n" + "\n".join(problems)


def test_every_kind_of_import_is_seen_and_reported_with_file_and_line(tmp_path):
    (tmp_path / "setup.py").write_text(
        'ROOTS = {"cairn": "cairn", "cairn.server": "server", "cairn.memory": "memory"}\n'
    )
    files = {
        "cairn/__init__.py": "import litellm\n",  # the CLI may import anything
        "server/__init__.py": "",
        "server/lsp/__init__.py": "import pygls\n",
        "server/agent/__init__.py": "",
        "server/agent/model.py": "import litellm\n",
        "server/agent/loop.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n"
            "    from lsprotocol import types\n"
            "def late():\n"
            "    from ..lsp import server\n"
        ),
        "memory/__init__.py": "",
        "memory/store.py": (
            "import importlib\nfrom cairn import server\nimportlib.import_module('litellm.utils')\n"
        ),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)

    problems = violations(all_imports(tmp_path), tmp_path)

    assert problems == [
        "memory/store.py:2: cairn.memory.store imports cairn.server"
        " (memory/ and skills/ are pure domain packages)",
        "memory/store.py:3: cairn.memory.store imports litellm.utils"
        " (memory/ and skills/ are pure domain packages; only server/agent/model.py imports litellm)",
        "server/agent/loop.py:3: cairn.server.agent.loop imports lsprotocol.types"
        " (only server/lsp imports pygls and lsprotocol)",
        f"server/agent/loop.py:5: cairn.server.agent.loop imports cairn.server.lsp.server ({RULES[3].says})",
    ]


def test_mypy_sees_the_installed_layout():
    """.mypy-root/cairn mirrors what the editable install maps (pyproject.toml's [tool.mypy])."""
    roots = package_roots(REPO)
    mirror = REPO / ".mypy-root" / "cairn"
    expected = {p.name: p for p in (REPO / roots["cairn"]).glob("*.py")}
    expected |= {name.split(".", 1)[1]: REPO / folder for name, folder in roots.items() if name != "cairn"}
    assert {entry.name for entry in mirror.iterdir()} == set(expected)
    for name, target in expected.items():
        link = mirror / name
        assert link.is_symlink() and not Path(link.readlink()).is_absolute(), link
        assert link.resolve() == target.resolve(), link
