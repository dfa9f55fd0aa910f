"""A read kept for at most two seconds, per process: what the HLS routes ask of the
catalogue for every playlist and segment (who may watch a video; what a share link
is), so that a viewer's requests do not each cost a query, while a change (a video made
private, a link revoked or expired) reaches every viewer within two seconds, as a logout
does (vs_common.auth_client keeps a session's answer as long)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

MAX_SECONDS = 2.0


class ShortCache:
    """`get(key, load)`: `load()`'s answer, read again once it is `seconds` old (at most
    MAX_SECONDS). Bounded: past `size` keys it starts again empty (a flood of distinct
    keys costs queries, never memory)."""

    def __init__(self, seconds: float = MAX_SECONDS, size: int = 10_000):
        self.seconds = min(seconds, MAX_SECONDS)
        self.size = size
        self._kept: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._kept.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        with self._lock:
            if len(self._kept) >= self.size:
                self._kept.clear()
            self._kept[key] = (now + self.seconds, value)
        return value
