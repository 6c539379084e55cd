"""One small bounded cache for what the reading side keeps: lit pages, PDF traces, OCR'd pages."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class LRU:
    """A thread-safe map that drops its least recently used items once they weigh more than ``limit``. Each item
    weighs ``weigh(value)``: 1 unless told (``limit`` then counts items; ``len`` weighs bytes by their size). An
    item heavier than ``limit`` alone is not kept."""

    def __init__(self, limit: int, weigh: Callable[[Any], int] = lambda value: 1):
        self.limit, self._weigh = limit, weigh
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, value: Any) -> None:
        weight = self._weigh(value)
        if weight > self.limit:
            return
        with self._lock:
            if key in self._items:
                self._weight -= self._weigh(self._items.pop(key))
            self._items[key] = value
            self._weight += weight
            while self._weight > self.limit:
                _, dropped = self._items.popitem(last=False)
                self._weight -= self._weigh(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._weight = 0

    def __len__(self) -> int:
        return len(self._items)
