"""Regenerate depsentry/codemods/langchain_imports/moves.json from the published LangChain wheels.

The wheels are downloaded with `pip download --no-deps` and read STATICALLY (CPython's `ast`
over the files in the zip; nothing is imported, so no module is skipped for a missing optional
dependency, the flaw of langchain-cli's generator). Sources, one edge per (old path -> new path):

- langchain-classic: every module's `DEPRECATED_LOOKUP` / `module_lookup` dicts and
  `create_importer(fallback_module=...)`, the `__getattr__` forwarders (`from
  langchain_community import llms; return getattr(llms, name)` and `if name == "X": from M import
  X`), top-level re-exports from langchain_core / langchain_text_splitters / langchain_community,
  and what the module defines itself (chains, memory, ...: `langchain_classic.<same path>`).
  Keys are the old `langchain.<path>` names; names the current `langchain` 1.x wheel still
  exports at the same path are left out (they did not move).
- langchain-community: `@deprecated(alternative_import="pkg.Name")` on a class or function,
  keyed by its defining module and by every package `__init__` that re-exports it
  (`_module_lookup`), and re-exports from langchain_core named in a module's `__all__`. The last
  0.3 release is read too, under the newest: 0.4 deleted classes (ChatAnthropic, ChatOllama,
  AzureChatOpenAI, ...) whose 0.3 deprecation named the partner package that has them now.

Edges are stored as they are; the codemod follows chains (langchain -> community -> partner) to
their end when it loads the table.

    .venv/bin/python scripts/make_langchain_moves.py [--wheels DIR] [--output PATH]
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "depsentry/codemods/langchain_imports/moves.json"
# Distribution -> the top-level package whose files are read.
WHEELS = {
    "langchain-classic": "langchain_classic",
    "langchain-community": "langchain_community",
    "langchain-text-splitters": "langchain_text_splitters",
    "langchain": "langchain",
}
OLD_COMMUNITY = "langchain-community<0.4"  # downloaded into old/: see community_moves
REEXPORTED = ("langchain_core", "langchain_text_splitters", "langchain_community")


def download(directory: Path) -> dict[str, Path]:
    """The newest wheel of each distribution, downloaded into `directory`."""
    for name in WHEELS:
        if not any(directory.glob(f"{name.replace('-', '_')}-*.whl")):
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(directory)]
                + [f"{name}>=1" if name == "langchain" else name],
                check=True,
            )
    old = directory / "old"
    if not any(old.glob("langchain_community-*.whl")):
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(old)]
            + [OLD_COMMUNITY],
            check=True,
        )
    found = {"langchain-community (0.3)": sorted(old.glob("langchain_community-*.whl"))[-1]}
    for name in WHEELS:
        wheels = sorted(directory.glob(f"{name.replace('-', '_')}-*.whl"))
        if not wheels:
            raise SystemExit(f"{directory}: no wheel of {name}")
        found[name] = wheels[-1]
    return found


def version_of(wheel: Path) -> str:
    return wheel.name.split("-")[1]


def modules(wheel: Path, package: str) -> Iterator[tuple[str, ast.Module]]:
    """(dotted module name, parsed tree) of every .py file of `package` in the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            if not name.startswith(f"{package}/") or not name.endswith(".py"):
                continue
            parts = name[: -len(".py")].split("/")
            if parts[-1] == "__init__":
                parts.pop()
            if any(part.startswith("_") for part in parts[1:]) or "tests" in parts:
                continue  # private and test modules are not import paths users write
            try:
                tree = ast.parse(archive.read(name))
            except SyntaxError:
                continue
            yield ".".join(parts), tree


def _all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and isinstance(
                node.value, ast.List | ast.Tuple
            ):
                return [
                    e.value
                    for e in node.value.elts
                    if isinstance(e, ast.Constant) and isinstance(e.value, str)
                ]
    return None


def _str_dict(node: ast.AST | None) -> dict[str, str]:
    if not isinstance(node, ast.Dict):
        return {}
    return {
        k.value: v.value
        for k, v in zip(node.keys, node.values, strict=True)
        if isinstance(k, ast.Constant)
        and isinstance(k.value, str)
        and isinstance(v, ast.Constant)
        and isinstance(v.value, str)
    }


def _bound(tree: ast.Module) -> dict[str, str | None]:
    """Top-level names: -> "module.name" for absolute from-imports, None for local definitions."""
    found: dict[str, str | None] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = None
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found[node.target.id] = None
    return found


def _getattr_forwards(tree: ast.Module) -> tuple[dict[str, str], str | None]:
    """What a module `__getattr__` imports: ({name: "module.Name"}, fallback module)."""
    named: dict[str, str] = {}
    fallback = None
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and node.name == "__getattr__"):
            continue
        for statement in ast.walk(node):
            if isinstance(statement, ast.If):
                test = statement.test
                if (
                    isinstance(test, ast.Compare)
                    and isinstance(test.left, ast.Name)
                    and test.left.id == "name"
                    and len(test.comparators) == 1
                    and isinstance(test.comparators[0], ast.Constant)
                    and isinstance(test.comparators[0].value, str)
                ):
                    for inner in statement.body:
                        if isinstance(inner, ast.ImportFrom) and inner.module and not inner.level:
                            named[test.comparators[0].value] = (
                                f"{inner.module}.{inner.names[0].name}"
                            )
        for statement in node.body:
            # `from langchain_community import llms` ... `return getattr(llms, name)`
            if (
                isinstance(statement, ast.ImportFrom)
                and statement.module
                and not statement.level
                and statement.module.startswith("langchain_community")
            ):
                fallback = f"{statement.module}.{statement.names[0].name}"
    return named, fallback


def classic_moves(wheel: Path, current: dict[str, set[str]]) -> dict[str, str]:
    """`langchain.<path>.Name` -> where langchain-classic says it lives."""
    moves: dict[str, str] = {}
    for module, tree in modules(wheel, "langchain_classic"):
        old_module = "langchain" + module[len("langchain_classic") :]
        lookups: dict[str, str] = {}
        fallback = None
        dicts = {  # top-level `NAME = {"Name": "module"}`: create_importer's arguments by name
            target.id: _str_dict(node.value)
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "create_importer"
            ):
                for keyword in node.keywords:
                    if keyword.arg in ("module_lookup", "deprecated_lookups"):
                        value = keyword.value
                        lookups.update(
                            dicts.get(value.id, {})
                            if isinstance(value, ast.Name)
                            else _str_dict(value)
                        )
                    elif keyword.arg == "fallback_module" and isinstance(
                        keyword.value, ast.Constant
                    ):
                        fallback = str(keyword.value.value)
        forwards, forward_fallback = _getattr_forwards(tree)
        fallback = fallback or forward_fallback
        bound = _bound(tree)
        exported = _all(tree)
        names = exported if exported is not None else [n for n in bound if not n.startswith("_")]
        for name in dict.fromkeys([*names, *lookups, *forwards]):
            if name in current.get(old_module, ()):
                continue  # langchain 1.x still has it there
            if name in lookups:
                target = f"{lookups[name]}.{name}"
                if target.startswith("langchain_classic."):
                    target = f"{module}.{name}"  # its own lazy export: the shorter path
            elif name in forwards:
                target = forwards[name]
            elif name in bound:
                origin = bound[name]
                if origin is not None and origin.startswith(REEXPORTED):
                    target = origin
                else:  # defined in, or re-exported within, langchain_classic: it stays there
                    target = f"{module}.{name}"
            elif fallback is not None:
                target = f"{fallback}.{name}"
            else:
                continue
            moves[f"{old_module}.{name}"] = target
    return moves


def community_moves(wheel: Path) -> dict[str, str]:
    """`langchain_community...Name` -> its `alternative_import`, and core re-exports."""
    deprecated: dict[str, str] = {}
    moves: dict[str, str] = {}
    lookups: dict[str, dict[str, str]] = {}
    for module, tree in modules(wheel, "langchain_community"):
        for node in tree.body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    if not (
                        isinstance(decorator, ast.Call)
                        and isinstance(decorator.func, ast.Name)
                        and decorator.func.id == "deprecated"
                    ):
                        continue
                    for keyword in decorator.keywords:
                        if keyword.arg == "alternative_import" and isinstance(
                            keyword.value, ast.Constant
                        ):
                            deprecated[f"{module}.{node.name}"] = str(keyword.value.value)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "_module_lookup" for t in node.targets
            ):
                lookups[module] = _str_dict(node.value)
        exported = set(_all(tree) or ())
        for name, origin in _bound(tree).items():
            if name in exported and origin is not None and origin.startswith("langchain_core."):
                moves[f"{module}.{name}"] = origin
    moves.update(deprecated)
    # A package that no longer re-exports a deprecated class (0.4 dropped ChatOpenAI from
    # chat_models/__init__) is still where langchain-classic's lookups point: key it there too.
    for path, target in deprecated.items():
        parts = path.split(".")
        for depth in range(2, len(parts) - 1):
            moves.setdefault(".".join([*parts[:depth], parts[-1]]), target)
    for package, lookup in lookups.items():
        for name, defined_in in lookup.items():
            target = deprecated.get(f"{defined_in}.{name}")
            if target is not None:
                moves[f"{package}.{name}"] = target
    return moves


def current_exports(wheel: Path) -> dict[str, set[str]]:
    """Module -> the names the current `langchain` wheel exports there."""
    found: dict[str, set[str]] = {}
    for module, tree in modules(wheel, "langchain"):
        found[module] = set(_all(tree) or ()) | set(_bound(tree))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, help="a directory of downloaded wheels (reused)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.wheels or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        wheels = download(directory)
        moves = classic_moves(wheels["langchain-classic"], current_exports(wheels["langchain"]))
        moves.update(community_moves(wheels["langchain-community (0.3)"]))
        moves.update(community_moves(wheels["langchain-community"]))
    moves = {old: new for old, new in sorted(moves.items()) if old != new}
    document = {
        "generated_by": "scripts/make_langchain_moves.py",
        "sources": {name: version_of(wheel) for name, wheel in sorted(wheels.items())},
        "moves": moves,
    }
    args.output.write_text(json.dumps(document, indent=0) + "\n")
    print(f"{args.output}: {len(moves)} moves from {document['sources']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
