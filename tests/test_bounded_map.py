"""accounts.bounded_map: what a process keeps between requests stays within its limit,
the entries used longest ago dropped first."""

from __future__ import annotations

from accounts.bounded_map import BoundedMap


def test_past_the_count_the_least_recently_used_goes_first():
    kept = BoundedMap(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # now b is the oldest use
    kept.put("c", 3)
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (1, None, 3)
    assert len(kept) == 2


def test_by_weight_a_replaced_value_counts_once_and_one_too_heavy_is_not_kept():
    kept = BoundedMap(10, weigh=len)
    kept.put("a", b"12345")
    kept.put("a", b"123456")  # replaces: 6 of 10, not 11
    kept.put("b", b"1234")
    assert (kept.get("a"), kept.get("b")) == (b"123456", b"1234")
    kept.put("c", b"123")  # 13: a, the oldest use, goes
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (None, b"1234", b"123")
    kept.put("huge", b"x" * 11)
    assert kept.get("huge") is None and len(kept) == 2


def test_pop_and_clear():
    kept = BoundedMap(3)
    kept.put("a", 1)
    kept.put("b", 2)
    kept.pop("a")
    kept.pop("missing")
    assert (kept.get("a"), kept.get("b")) == (None, 2)
    kept.clear()
    assert len(kept) == 0
