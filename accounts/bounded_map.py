"""A thread-safe map of what a process keeps between requests, bounded by a limit: past
it, the entries used longest ago are dropped first. By count, or by a weight of each
value (a page's bytes)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class BoundedMap(Generic[V]):
    def __init__(self, limit: int, weigh: Callable[[V], int] | None = None):
        self.limit = limit
        self._weigh = weigh or (lambda value: 1)
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The value, now the most recently used; None if there is none."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        """Keep the value (one heavier than the whole limit is not kept at all)."""
        weight = self._weigh(value)
        if weight > self.limit:
            return
        with self._lock:
            self._drop(key)
            self._entries[key] = value
            self._weight += weight
            while self._weight > self.limit:
                _, oldest = self._entries.popitem(last=False)
                self._weight -= self._weigh(oldest)

    def pop(self, key: Hashable) -> None:
        with self._lock:
            self._drop(key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._weight = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: Hashable) -> None:
        previous = self._entries.pop(key, None)
        if previous is not None:
            self._weight -= self._weigh(previous)
