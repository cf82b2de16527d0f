"""The house's floors (README, Layout): arrows only point down.

    accounts/            imports nothing of reports
    reports/ (the core)  imports accounts and itself, never a feature
    reports/<feature>/   imports the core and accounts, and another feature's inner
                         modules at most: never its views, forms, URLs or catalog,
                         and never in a circle

A walk over the source (Python's own ast, every import, those inside functions too),
not a tool to install: the rules are this product's, a page long, and the walk runs in
every test run on every database. It reads the files, so it needs no database.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SCANNED = ("accounts", "reports")
# The features: each a package of reports/ on the floor above the core.
FEATURES = (
    "api",
    "dashboards",
    "demo",
    "history",
    "importing",
    "integrations",
    "notifications",
    "refresh",
)
# Packages of reports/ that are the core's own rooms.
CORE_PACKAGES = ("models", "templatetags", "warming")
# What a feature shows the world and no other feature may use: it would tie the two
# features' pages together. (The catalog of reports is the core's, reports.catalog.)
FACES = ("views", "forms", "urls", "catalog", "report_pages", "admin", "apps", "management")


def module_files(root: Path) -> dict[str, Path]:
    """Dotted name -> file, for every module of the scanned packages but migrations."""
    found = {}
    for package in SCANNED:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _imported_names(tree: ast.AST, module: str, is_package: bool):
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, level - 1 packages up
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                yield f"{base}.{alias.name}"  # a module, or a name in module `base`


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the scanned modules it imports (the module holding an imported name)."""
    files = module_files(root)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        targets = set()
        for name in _imported_names(tree, module, path.name == "__init__.py"):
            while name and name not in files:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every group of nodes that import each other, directly or round about (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "reports" and len(parts) > 1 and parts[1] in FEATURES:
        return parts[1]
    return None


def is_core(module: str) -> bool:
    return module.split(".")[0] == "reports" and feature_of(module) is None


def is_face(module: str) -> bool:
    """A module of a feature that only that feature may import."""
    return any(part.startswith(FACES) for part in module.split(".")[2:])


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import that points up or sideways, as "importer -> imported: why"."""
    found = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            own, theirs = feature_of(module), feature_of(target)
            why = None
            if module.startswith("accounts") and target.startswith("reports"):
                why = "accounts imports nothing of reports"
            elif is_core(module) and theirs is not None:
                why = "the core imports no feature"
            elif theirs is not None and own not in (None, theirs) and is_face(target):
                why = f"a feature never imports another's {target.split('.')[2]}"
            elif own == "importing" and theirs == "refresh":
                why = "importing knows nothing of refresh"
            if why:
                found.append(f"{module} -> {target}: {why}")
    return found


def feature_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Which feature imports which."""
    features: dict[str, set[str]] = {feature: set() for feature in FEATURES}
    for module, targets in graph.items():
        if (own := feature_of(module)) is not None:
            features[own] |= {feature_of(t) for t in targets} - {None, own}
    return features


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_no_module_imports_itself_round_about(graph):
    assert circles(graph) == []


def test_every_import_points_down(graph):
    assert violations(graph) == []


def test_the_features_import_each_other_without_a_circle(graph):
    assert circles(feature_graph(graph)) == []


def test_every_package_of_reports_has_its_floor():
    """A new package says whether it is a feature or the core's, here."""
    packages = {p.parent.name for p in (ROOT / "reports").glob("*/__init__.py")}
    assert packages - {"migrations"} == set(FEATURES) | set(CORE_PACKAGES)


def test_no_app_imports_the_project():
    """backupreport/ (settings, URLs, the page frame) knows every app; no app knows it."""
    for package in SCANNED:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level:
                    names = [node.module or ""]
                assert not any(n.split(".")[0] == "backupreport" for n in names), path


# The walk itself: it sees what it must refuse.


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_walk_sees_a_circle_and_imports_that_point_up_or_sideways(tmp_path):
    _write(
        tmp_path,
        {
            "accounts/__init__.py": "",
            "accounts/roles.py": "def f():\n    from reports import health\n",
            "reports/__init__.py": "",
            "reports/health.py": "from reports.history.snapshots import take\n",
            "reports/history/__init__.py": "",
            "reports/history/snapshots.py": "from . import reading\n",
            "reports/history/reading.py": "from reports.history.snapshots import take\n",
            "reports/history/views.py": "",
            "reports/dashboards/__init__.py": "",
            "reports/dashboards/views.py": "from reports.history.views import page\n",
            "reports/dashboards/overview.py": "from reports.history import reading\n",
            "reports/importing/__init__.py": "",
            "reports/importing/command.py": "from reports.refresh.log import recorded\n",
            "reports/refresh/__init__.py": "",
            "reports/refresh/log.py": "from reports.importing import command\n",
        },
    )
    graph = import_graph(tmp_path)
    assert circles(graph) == [
        ["reports.history.reading", "reports.history.snapshots"],
        ["reports.importing.command", "reports.refresh.log"],
    ]
    assert violations(graph) == [
        "accounts.roles -> reports.health: accounts imports nothing of reports",
        "reports.dashboards.views -> reports.history.views: "
        "a feature never imports another's views",
        "reports.health -> reports.history.snapshots: the core imports no feature",
        "reports.importing.command -> reports.refresh.log: importing knows nothing of refresh",
    ]
    assert circles(feature_graph(graph)) == [["importing", "refresh"]]
