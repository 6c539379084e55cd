"""The one bounded cache of the reading side (qa.read.lru): lit pages, PDF traces and OCR'd pages are kept in it."""

import threading

from qa.read.lru import LRU


def test_the_least_recently_used_goes_first_once_the_count_is_passed():
    cache = LRU(2)
    cache.put("a", 1), cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3 and len(cache) == 2


def test_weighed_by_size_an_item_heavier_than_the_limit_is_not_kept_and_replacing_reweighs():
    cache = LRU(10, len)
    cache.put("big", b"x" * 11)
    assert cache.get("big") is None and len(cache) == 0
    cache.put("a", b"x" * 6), cache.put("a", b"x" * 2), cache.put("b", b"x" * 8)
    assert cache.get("a") == b"xx" and cache.get("b") == b"x" * 8  # 2 + 8: both fit once "a" shrank
    cache.put("c", b"x")
    assert cache.get("a") is None and len(cache) == 2


def test_many_threads_never_leave_it_over_its_limit():
    cache = LRU(50, len)

    def work(n):
        for i in range(500):
            cache.put((n, i % 37), b"x" * (i % 9 + 1))
            cache.get((n, (i * 7) % 37))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache._weight == sum(len(v) for v in cache._items.values()) <= 50
