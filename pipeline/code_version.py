"""Cache keys for the project's own code: a hash of exactly the modules a component runs.

TFX reuses a component's earlier output when its inputs and execution properties are unchanged;
it does not look at the code behind a dotted path (`run_fn`, `preprocessing_fn`) or a custom
executor. Each component of ours therefore carries, in its properties, the hash of its entry
module and every project module that module imports (transitively, imports inside functions
included): a change to ingestion code re-runs ExampleGen and what follows, a change to report
rendering re-runs nothing.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import pathlib

SOURCE_ROOT = pathlib.Path(__file__).resolve().parents[1]  # holds the project's packages
PACKAGES = ("components", "kubeflow", "pipeline", "rawdata", "serving", "trainer", "transform")


class ModuleSources:
    """Finds project modules under `root` and the project modules they import."""

    def __init__(self, root: pathlib.Path | None = None):
        self.root = pathlib.Path(root or SOURCE_ROOT)

    def path(self, module: str) -> pathlib.Path | None:
        """The file of a project module (a package's `__init__.py`), None when not ours."""
        if module.split(".")[0] not in PACKAGES:
            return None
        base = self.root.joinpath(*module.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    def imports(self, module: str) -> set[str]:
        """Project modules that `module` imports directly, and the packages on their paths."""
        path = self.path(module)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([base] if base else []))
                names = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        return {name for name in found if name != module and self.path(name) is not None}

    def closure(self, *modules: str) -> list[str]:
        """`modules`, their packages and every project module they import, transitively."""
        seen: set[str] = set()
        pending = [".".join(m.split(".")[:i]) for m in modules
                   for i in range(1, len(m.split(".")) + 1)]
        while pending:
            module = pending.pop()
            if module in seen:
                continue
            if self.path(module) is None:
                raise ValueError(f"{module!r} is not a module of the project under {self.root}")
            seen.add(module)
            pending.extend(self.imports(module) - seen)
        return sorted(seen)

    def version(self, *modules: str) -> str:
        """12 hex digits of sha256 over the closure's module names and sources."""
        digest = hashlib.sha256()
        for module in self.closure(*modules):
            digest.update(module.encode() + b"\0" + self.path(module).read_bytes() + b"\0")
        return digest.hexdigest()[:12]


@functools.cache
def code_version(*modules: str) -> str:
    """The version of `modules` and what they import, from this installation's sources."""
    return ModuleSources().version(*modules)
