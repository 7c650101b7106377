"""Where items are computed: in this process, in local worker processes, or as Ray tasks on a cluster.

Every engine yields `ItemFiles` as items finish (in any order) and keeps at most a fixed window of
items in flight, so the driver's memory does not grow with the dataset. Each worker process builds one
`ItemRenderer` (one pipeline, models loaded once) per config and reuses it for every item it gets.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from cascade.dataset.config import DatasetConfig, parse_config
from cascade.dataset.item import ItemFiles, ItemRenderer
from cascade.errors import CascadeError, DatasetError

ENGINES = ("local", "ray")
WINDOW_PER_WORKER = 2  # items in flight per worker: one running, one queued
_RENDERERS: dict[str, ItemRenderer] = {}

Handle = TypeVar("Handle")


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def render_item(config_json: str, index: int) -> ItemFiles:
    """Item `index` of the config, with this process's renderer for it (built on first use)."""
    renderer = _RENDERERS.get(config_json)
    if renderer is None:
        _RENDERERS.clear()
        renderer = _RENDERERS[config_json] = ItemRenderer(parse_config(json.loads(config_json)))
    return renderer(index)


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


def run_local(config: DatasetConfig, indices: Iterable[int], workers: int = 1) -> Iterator[ItemFiles]:
    """Items computed here (`workers` 1) or in `workers` spawned processes."""
    if workers == 1:
        renderer = ItemRenderer(config)
        for index in indices:
            yield renderer(index)
        return
    config_json = config.model_dump_json()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))

    def finished(pending: list[Future[ItemFiles]]) -> tuple[list[Future[ItemFiles]], list[Future[ItemFiles]]]:
        done, rest = wait(pending, return_when=FIRST_COMPLETED)
        return [f for f in pending if f in done], [f for f in pending if f in rest]

    def result(future: Future[ItemFiles]) -> ItemFiles:
        try:
            return future.result()
        except BrokenProcessPool:
            raise DatasetError("a worker process died; finished items are kept: rerun the same command to finish") from None

    try:
        yield from _windowed(indices, WINDOW_PER_WORKER * workers, lambda i: pool.submit(render_item, config_json, i), finished, result,
                             lambda pending: [f.cancel() for f in pending])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run_ray(config: DatasetConfig, indices: Iterable[int], workers: int | None = None, address: str | None = None,
            retries: int = 3) -> Iterator[ItemFiles]:
    """Items computed as Ray tasks: on the runtime this process is connected to, else on `address` ('auto': the
    running cluster), else on a new local runtime with `workers` CPUs. `retries`: how often Ray reruns an item
    whose worker died."""
    try:
        import ray
    except ImportError:
        raise DatasetError("the ray engine needs ray: pip install -e '.[ray]'") from None
    started = not ray.is_initialized()
    if started:
        try:
            ray.init(address=address, num_cpus=workers if address is None else None, include_dashboard=False,
                     logging_level="WARNING", log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise DatasetError(f"cannot reach a Ray cluster at {address or 'a new local runtime'}: {str(err).splitlines()[0]}") from None
    try:
        concurrency = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        task = ray.remote(num_cpus=1, max_retries=retries)(render_item)
        config_ref = ray.put(config.model_dump_json())

        def finished(pending: list[Any]) -> tuple[list[Any], list[Any]]:
            return ray.wait(pending, num_returns=1)

        def result(ref: Any) -> ItemFiles:
            try:
                return ray.get(ref)
            except ray.exceptions.RayTaskError as err:
                if isinstance(err.cause, CascadeError):
                    raise err.cause from None
                raise DatasetError(f"an item failed on a Ray worker: {str(err.cause).splitlines()[0] if err.cause else err}") from None
            except ray.exceptions.RayError as err:
                raise DatasetError(f"a Ray worker was lost ({type(err).__name__}); finished items are kept: "
                                   "rerun the same command to finish") from None

        def cancel(pending: list[Any]) -> None:
            for ref in pending:
                ray.cancel(ref, force=True)

        yield from _windowed(indices, WINDOW_PER_WORKER * concurrency, lambda i: task.remote(config_ref, i), finished, result, cancel)
    finally:
        if started:
            ray.shutdown()
