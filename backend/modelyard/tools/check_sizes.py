"""Lint: no module in backend/ over 400 lines, no function over 60, every module with a docstring.

Run by `./dev lint` (`python -m modelyard.tools.check_sizes`); prints each offender as
`path:line: what` and exits 1 when there is any.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
EXCEPTIONS: dict[str, str] = {
    # "modelyard/path/module.py" or "modelyard/path/module.py:function": "the reason it may be longer",
}
"""Named exceptions with the reason; empty: every module and function is within the bounds."""


def offences(root: Path) -> list[str]:
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root.parent).as_posix()
        source = path.read_text()
        tree = ast.parse(source)
        lines = source.count("\n")
        if lines > MAX_MODULE_LINES and name not in EXCEPTIONS:
            found.append(f"{name}:1: module has {lines} lines (at most {MAX_MODULE_LINES})")
        if ast.get_docstring(tree) is None:
            found.append(f"{name}:1: module has no docstring saying what it holds")
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES and f"{name}:{node.name}" not in EXCEPTIONS:
                    found.append(
                        f"{name}:{node.lineno}: function {node.name} has {length} lines "
                        f"(at most {MAX_FUNCTION_LINES})"
                    )
    return found


def main() -> int:
    root = Path(__file__).resolve().parents[1]
    found = offences(root)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
