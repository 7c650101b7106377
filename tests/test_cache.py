"""Clip cache: addresses change with every defining parameter; entries round-trip; writes are atomic."""

import numpy as np

from cascade.cache import ClipCache, clip_key


def test_key_depends_on_every_parameter():
    base = clip_key("procedural:", "a dog barks", 2.0, 1)
    others = [clip_key("tangoflux:", "a dog barks", 2.0, 1), clip_key("procedural:", "a dog howls", 2.0, 1),
              clip_key("procedural:", "a dog barks", 2.5, 1), clip_key("procedural:", "a dog barks", 2.0, 2)]
    assert len({base, *others}) == 5
    assert clip_key("procedural:", "a dog barks", 2.0, 1) == base


def test_put_get_round_trip_and_miss(tmp_path):
    cache = ClipCache(tmp_path)
    clip = np.linspace(-1, 1, 1000, dtype=np.float32)
    key = clip_key("procedural:", "rain", 1.0, 0)
    assert cache.get(key) is None
    cache.put(key, clip)
    assert np.array_equal(cache.get(key), clip)
    assert (cache.hits, cache.misses) == (1, 1)
    assert not list(tmp_path.rglob("*.tmp"))


def test_corrupt_entry_is_a_miss(tmp_path):
    cache = ClipCache(tmp_path)
    key = clip_key("procedural:", "rain", 1.0, 0)
    cache.put(key, np.zeros(10, np.float32))
    next(tmp_path.rglob("*.npy")).write_bytes(b"garbage")
    assert cache.get(key) is None


def test_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    cache = ClipCache(tmp_path)
    key = clip_key("procedural:", "rain", 1.0, 0)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", disk_full)
    cache.put(key, np.zeros(10, np.float32))
    assert cache.get(key) is None
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
