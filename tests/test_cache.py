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


def test_the_cache_stays_under_its_limit_removing_the_least_recently_used(tmp_path):
    import os
    import time

    clip = np.zeros(25_000, np.float32)  # about 100 kB on disk
    cache = ClipCache(tmp_path, limit=350_000)
    keys = [clip_key("procedural:", f"sound {i}", 1.0, i) for i in range(3)]
    for index, key in enumerate(keys):
        cache.put(key, clip)
        os.utime(cache._path(key), ns=(time.time_ns() - (10 - index) * 10**9,) * 2)
    assert cache.get(keys[0], clip.size) is not None  # now the most recently used
    cache.put(clip_key("procedural:", "sound 3", 1.0, 3), clip)
    cache.put(clip_key("procedural:", "sound 4", 1.0, 4), clip)
    held = sum(p.stat().st_size for p in tmp_path.rglob("*.npy"))
    assert held <= 350_000
    assert cache.get(keys[0], clip.size) is not None and cache.get(keys[1], clip.size) is None


def test_cache_info_and_clear(tmp_path, monkeypatch, capsys):
    from cascade.cli import main

    monkeypatch.setenv("CASCADE_CACHE_DIR", str(tmp_path))
    ClipCache(tmp_path / "clips").put(clip_key("procedural:", "rain", 1.0, 0), np.zeros(1000, np.float32))
    assert main(["cache", "info"]) == 0 and "clips: 1 " in capsys.readouterr().out
    assert main(["cache", "clear"]) == 0 and "removed 1 files" in capsys.readouterr().out
    assert not (tmp_path / "clips").exists()
