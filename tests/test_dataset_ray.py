"""The Ray engine on a local runtime these tests start and stop: the same bytes as a local build, and a worker killed
mid-run loses no item and duplicates none."""

import json
import os
import pathlib
import signal
import threading
import time

import pytest
import ray
from dataset_fixtures import SMALL, folder_bytes

from cascade.dataset import build, parse_config
from cascade.errors import DatasetError

pytestmark = pytest.mark.slow
N = 16


@pytest.fixture(scope="module")
def runtime():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("local")
    build(root, N, parse_config(SMALL), workers=1)
    return root


def test_ray_and_local_builds_are_byte_identical(runtime, reference, tmp_path):
    report = build(tmp_path, N, parse_config(SMALL), engine="ray", workers=2)
    assert report.built == N
    assert folder_bytes(tmp_path) == folder_bytes(reference)


def _kill_a_busy_worker(items, after, stop, killed):
    """Once `after` items are finished, SIGKILL one Ray worker process while it renders an item (until `stop` is set)."""
    while not stop.is_set():
        if items.is_dir() and len(list(items.glob("*.json"))) >= after:
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    command = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if command.startswith(b"ray::render_item"):
                    os.kill(int(pid), signal.SIGKILL)
                    killed.append(int(pid))
                    return
        time.sleep(0.02)


@pytest.mark.parametrize("retries", [0, 3])
def test_a_killed_worker_loses_and_duplicates_nothing(runtime, reference, tmp_path, retries):
    stop, killed = threading.Event(), []
    killer = threading.Thread(target=_kill_a_busy_worker, args=(tmp_path / "items", 3, stop, killed), daemon=True)
    killer.start()
    try:
        first = build(tmp_path, N, parse_config(SMALL), engine="ray", workers=2, retries=retries)
        assert retries and first.built == N  # Ray reran the lost item itself
    except DatasetError as err:
        assert retries == 0 and "rerun the same command" in str(err)
        rerun = build(tmp_path, N, engine="ray", workers=2, retries=retries)
        assert 0 < rerun.built < N and rerun.skipped == N - rerun.built
    stop.set()
    killer.join()
    assert killed, "no worker was caught rendering"
    indices = [json.loads(line)["index"] for line in (tmp_path / "metadata.jsonl").read_text().splitlines()]
    assert indices == list(range(N))
    assert not list(tmp_path.rglob("*.tmp"))
    assert folder_bytes(tmp_path) == folder_bytes(reference)
