"""The engine's shape: the largest module, the longest function, import cycles among its modules.

    python3 -m bench.engine_shape [PACKAGE_DIR]

Counts physical lines. A module's imports are every ``import``/``from`` statement anywhere in it (also
inside functions); ``from pkg import name`` counts as an import of ``pkg.name`` when that is a module,
else of ``pkg``. Cycles are counted twice: strongly connected components with more than one module
(the tangles), and elementary cycles (every distinct loop; capped).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import networkx as nx


def modules(root: Path) -> dict[str, Path]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _resolve(name: str, current: str, is_package: bool, level: int) -> str:
    if not level:
        return name
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, name] if name else base)


def import_graph(mods: dict[str, Path]) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(mods)
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(node.module or "", name, is_package, node.level)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.append(full if full in mods else base)
            for target in targets:
                while target and target not in mods:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph.add_edge(name, target)
    return graph


def longest_function(mods: dict[str, Path]) -> tuple[int, str]:
    best = (0, "")
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                best = max(best, (node.end_lineno - node.lineno + 1, f"{name}.{node.name}"))
    return best


def longest_class(mods: dict[str, Path]) -> tuple[int, str]:
    best = (0, "")
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                best = max(best, (node.end_lineno - node.lineno + 1, f"{name}.{node.name}"))
    return best


def main(root: str = "explainers") -> None:
    mods = modules(Path(root))
    sizes = sorted(((len(p.read_text(encoding="utf-8").splitlines()), n) for n, p in mods.items()), reverse=True)
    graph = import_graph(mods)
    tangles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    cycles = 0
    for cycles, _ in enumerate(nx.simple_cycles(graph), start=1):
        if cycles >= 100_000:
            break
    print(f"modules: {len(mods)}, lines: {sum(s for s, _ in sizes)}")
    print("largest modules:", ", ".join(f"{n} {s}" for s, n in sizes[:5]))
    print("longest function: {1} {0} lines".format(*longest_function(mods)))
    print("longest class: {1} {0} lines".format(*longest_class(mods)))
    print(f"import cycles: {cycles} elementary, {len(tangles)} strongly connected groups")
    for group in tangles:
        print("  tangle:", " ".join(group))


if __name__ == "__main__":
    main(*sys.argv[1:])
