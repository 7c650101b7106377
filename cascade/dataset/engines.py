"""Where items are computed: in this process, in local worker processes, or as Ray tasks on a cluster.

An engine is opened (processes started, Ray connected) before any item is asked for, yields `ItemFiles`
as items finish (in any order) with at most a fixed window of items in flight, so the driver's memory
does not grow with the dataset, and is closed when the build ends. Each worker process builds one
`ItemRenderer` (one pipeline, models loaded once) per config and reuses it for every item it gets.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from threadpoolctl import threadpool_limits

from cascade.dataset.config import DatasetConfig, parse_config
from cascade.dataset.item import ItemFiles, ItemRenderer
from cascade.errors import CascadeError, DatasetError

ENGINES = ("local", "ray")
WINDOW_PER_WORKER = 2  # items in flight per worker: one running, one queued
CONNECT_TIMEOUT = 5.0  # s to reach a Ray head given as host:port before giving up
DRIVER_CHECK = 0.5  # s between a worker's checks that the build that started it still runs
_HOST_PORT = re.compile(r"^(?:ray://)?(?P<host>[\w.\-]+|\[[0-9a-fA-F:]+\]):(?P<port>\d{1,5})$")
_RENDERERS: dict[str, ItemRenderer] = {}

Handle = TypeVar("Handle")


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def render_item(config_json: str, index: int) -> ItemFiles:
    """Item `index` of the config, with this worker process's renderer for it (built on first use). A worker holds one
    CPU, so its numerical libraries run one thread each (OpenBLAS starts one per core and would oversubscribe it)."""
    renderer = _RENDERERS.get(config_json)
    if renderer is None:
        threadpool_limits(limits=1)
        _RENDERERS.clear()
        renderer = _RENDERERS[config_json] = ItemRenderer(parse_config(json.loads(config_json)))
    return renderer(index)


def _start_worker(driver: int) -> None:
    """Worker processes leave Ctrl-C to the driver, which stops them after their current item, and end themselves when
    the driver `driver` (a pid) is gone, however it ended (kill -9 included: nothing else would stop them)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == driver:
            time.sleep(DRIVER_CHECK)
        os._exit(1)

    threading.Thread(target=watch, name="driver-watch", daemon=True).start()


def _cancel_all(pending: list[Future[ItemFiles]]) -> None:
    for future in pending:
        future.cancel()


def _windowed(indices: Iterable[int], window: int, submit: Callable[[int], Handle],
              finished: Callable[[list[Handle]], tuple[list[Handle], list[Handle]]], result: Callable[[Handle], ItemFiles],
              cancel: Callable[[list[Handle]], None]) -> Iterator[ItemFiles]:
    """Submit items while fewer than `window` are in flight; yield each result as it finishes."""
    pending: list[Handle] = []
    todo = iter(indices)
    try:
        while True:
            for index in todo:
                pending.append(submit(index))
                if len(pending) >= window:
                    break
            if not pending:
                return
            done, pending = finished(pending)
            for handle in done:
                yield result(handle)
    finally:
        if pending:
            cancel(pending)


class LocalEngine:
    """Items computed in this process (`workers` 1) or in `workers` spawned processes."""

    def __init__(self, config: DatasetConfig, workers: int = 1) -> None:
        self.config, self.workers = config, workers
        self.pool = None
        if workers > 1:
            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_start_worker, initargs=(os.getpid(),))

    def items(self, indices: Iterable[int]) -> Iterator[ItemFiles]:
        if self.pool is None:
            renderer = ItemRenderer(self.config)
            yield from (renderer(index) for index in indices)
            return
        pool, config_json = self.pool, self.config.model_dump_json()

        def finished(pending: list[Future[ItemFiles]]) -> tuple[list[Future[ItemFiles]], list[Future[ItemFiles]]]:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            return [f for f in pending if f in done], [f for f in pending if f not in done]

        def result(future: Future[ItemFiles]) -> ItemFiles:
            try:
                return future.result()
            except BrokenProcessPool:
                raise DatasetError("a worker process died; the finished items are kept: rerun the same command to finish") from None

        yield from _windowed(indices, WINDOW_PER_WORKER * self.workers, lambda i: pool.submit(render_item, config_json, i),
                             finished, result, _cancel_all)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _check_reachable(address: str) -> None:
    """DatasetError at once when a host:port (or ray://host:port) address does not answer, instead of Ray's long retries."""
    match = _HOST_PORT.match(address)
    if match is None:
        return
    try:
        socket.create_connection((match["host"].strip("[]"), int(match["port"])), timeout=CONNECT_TIMEOUT).close()
    except OSError as err:
        raise DatasetError(f"cannot reach a Ray cluster at {address} ({err.strerror or err}); start one with `ray start --head`, "
                           "or pass --ray-address auto on one of its nodes") from None


class RayEngine:
    """Items computed as Ray tasks: on the runtime this process is already connected to, else on `address` ('auto':
    the cluster running on this node; host:port or ray://host:port: a remote one), else on a new local runtime with
    `workers` CPUs. At most 2 x `workers` items are in flight (default: the cluster's CPUs). `retries`: how often Ray
    reruns an item whose worker died. Every node needs this project installed, at the driver's version."""

    def __init__(self, config: DatasetConfig, workers: int | None = None, address: str | None = None, retries: int = 3) -> None:
        try:
            import ray
        except ImportError:
            raise DatasetError("the ray engine needs ray: pip install -e '.[ray]'") from None
        self.ray, self.config, self.retries = ray, config, retries
        self.started = not ray.is_initialized()
        if self.started:
            if address is not None:
                _check_reachable(address)
            try:
                ray.init(address=address, num_cpus=workers if address is None else None, include_dashboard=False,
                         logging_level="WARNING", log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as err:
                raise DatasetError(f"cannot start or join Ray ({address or 'a new local runtime'}): {str(err).splitlines()[0]}") from None
        self.concurrency = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))

    def items(self, indices: Iterable[int]) -> Iterator[ItemFiles]:
        ray = self.ray
        task = ray.remote(num_cpus=1, max_retries=self.retries)(render_item)
        config_ref = ray.put(self.config.model_dump_json())

        def finished(pending: list[Any]) -> tuple[list[Any], list[Any]]:
            return ray.wait(pending, num_returns=1)

        def result(ref: Any) -> ItemFiles:
            try:
                return ray.get(ref)
            except ray.exceptions.RayTaskError as err:
                if isinstance(err.cause, CascadeError):
                    raise err.cause from None
                raise DatasetError(f"an item failed on a Ray worker: {str(err.cause or err).splitlines()[0]}") from None
            except ray.exceptions.RayError as err:
                raise DatasetError(f"a Ray worker was lost ({type(err).__name__}); the finished items are kept: "
                                   "rerun the same command to finish") from None

        def cancel(pending: list[Any]) -> None:
            for ref in pending:
                ray.cancel(ref, force=True)

        yield from _windowed(indices, WINDOW_PER_WORKER * self.concurrency, lambda i: task.remote(config_ref, i), finished, result, cancel)

    def close(self) -> None:
        if self.started:
            self.ray.shutdown()


def open_engine(engine: str, config: DatasetConfig, workers: int | None, address: str | None, retries: int) -> LocalEngine | RayEngine:
    """The engine called `engine` ('local': `workers` processes, default every CPU this process may use; 'ray')."""
    if engine == "ray":
        return RayEngine(config, workers, address, retries)
    return LocalEngine(config, workers or available_cpus())
