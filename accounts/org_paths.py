"""An org's materialized path, "/1/7/42/": the primary keys from the root down to the
org, each followed by "/". The one place that reads or writes one.

"This org and everything below it" is the paths that start with the org's: one indexed
prefix match at any depth (`Org.objects.subtree_of`, and the reach rule,
accounts.roles.Reach).
"""

from __future__ import annotations

ROOT = "/"  # the parent path of a top-level org


def child_path(parent_path: str, pk: int) -> str:
    """The path of the org `pk` below the org at `parent_path` (ROOT for a top org)."""
    return f"{parent_path}{pk}/"


def pks(path: str) -> list[int]:
    """The orgs on the path, root first, the org itself last."""
    return [int(part) for part in path.strip("/").split("/") if part]


def depth(path: str) -> int:
    """1 for a top-level org."""
    return path.count("/") - 1


def ancestor_path(path: str, at_depth: int) -> str:
    """The path of the org's ancestor at that depth (the org's own at its depth)."""
    return ROOT + "".join(f"{pk}/" for pk in pks(path)[:at_depth])


def within(path: str, subtree_path: str) -> bool:
    """Whether the org at `path` is the org at `subtree_path` or below it."""
    return path.startswith(subtree_path)


def passes_through(path: str, pk: int) -> bool:
    """Whether the org `pk` is on the path: the org itself or one of its ancestors."""
    return f"/{pk}/" in path
