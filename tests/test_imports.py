"""The import graph stays one-way: no two drbench packages and no two modules import each
other (imports inside functions count), and the shared vocabulary in ``data`` imports
nothing above it. Read from the source with ``ast``, so nothing is imported here."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import drbench

PACKAGE_DIR = Path(drbench.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def drbench_imports() -> dict[str, set[str]]:
    """Every drbench module -> the drbench modules it imports, anywhere in its body."""
    paths = [p for p in PACKAGE_DIR.rglob("*.py") if "configs" not in p.relative_to(PACKAGE_DIR).parts]
    modules = {module_name(p): p for p in paths}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                submodules = [f"{node.module}.{a.name}" for a in node.names]
                # ``from pkg import module`` imports that module, not what pkg re-exports
                targets = [t for t in submodules if t in modules] or [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def package_of(module: str) -> str:
    """drbench.generate.api -> drbench.generate; drbench.cli -> drbench (the root's own modules)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 and (PACKAGE_DIR / parts[1]).is_dir() else "drbench"


def test_no_two_modules_import_each_other():
    graph = drbench_imports()
    pairs = sorted({tuple(sorted((a, b))) for a, targets in graph.items() for b in targets
                    if a in graph.get(b, ())})
    assert not pairs, f"modules importing each other: {pairs}"


def test_no_two_packages_import_each_other():
    edges: dict[str, set[str]] = defaultdict(set)
    for module, targets in drbench_imports().items():
        for target in targets:
            if package_of(module) != package_of(target):
                edges[package_of(module)].add(package_of(target))
    pairs = sorted({tuple(sorted((a, b))) for a, targets in edges.items() for b in targets
                    if a in edges.get(b, ()) and "drbench" not in (a, b)})
    assert not pairs, f"packages importing each other: {pairs}"


def test_data_imports_nothing_above_it_and_the_board_not_the_generator():
    graph = drbench_imports()
    for module, targets in graph.items():
        if module.startswith("drbench.data"):
            above = {t for t in targets if not t.startswith(("drbench.data", "drbench.io"))}
            assert not above, f"{module} imports {above}: data is the bottom layer"
        if module.startswith("drbench.leaderboard"):
            assert not {t for t in targets if t.startswith("drbench.generate")}, module


def test_no_two_modules_share_a_name():
    names = defaultdict(list)
    for path in PACKAGE_DIR.rglob("*.py"):
        if path.name != "__init__.py" and "configs" not in path.relative_to(PACKAGE_DIR).parts:
            names[path.name].append(str(path.relative_to(PACKAGE_DIR)))
    assert not {n: p for n, p in names.items() if len(p) > 1}
