"""Build a dataset folder: draw and render items 0..n-1 with an engine, write each as one set of files,
then rebuild metadata.jsonl and the summary from the item files.

Resumable: an item exists exactly when its record (items/NNNNNN.json, committed last) does, so a rerun
skips finished items, a larger n grows the dataset, and a crash or kill loses only items in flight. The
folder remembers its config (config.json); building into it with another config is refused. One build
at a time may write a folder (a lock file, .lock).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from cascade.dataset.card import card_text
from cascade.dataset.config import DatasetConfig, parse_config, parse_folder_config, read_config_data
from cascade.dataset.engines import ENGINES, open_engine
from cascade.dataset.item import FOLDERS, RECORD_FOLDER, ItemFiles, record_path
from cascade.dataset.summary import Summary
from cascade.errors import DatasetError, OutputError
from cascade.files import OutputSet, atomic_path, os_reason, temporary_target, write_text

MANIFEST = "metadata.jsonl"
CARD = "README.md"
OWN_FILES = {"config.json", "classes.json", MANIFEST, "summary.json", "summary.png", CARD, ".lock", *FOLDERS}
_RECORD = re.compile(r"^(\d{6,})\.json$")
MAX_RECORD_BYTES = 16 * 2**20  # an item record is a few KB; one larger is not ours
ITEM_TEXT_BYTES = 64 * 2**10  # bytes of an item's scene, labels and record, at most


@dataclass(frozen=True)
class BuildReport:
    """What a build did: items written now, items found finished, items in the folder after, seconds, and the summary."""

    root: Path
    built: int
    skipped: int
    items: int
    seconds: float
    summary: Summary

    @property
    def rate(self) -> float:
        """Items written per second of this build (0 when none)."""
        return self.built / self.seconds if self.built and self.seconds > 0 else 0.0


def _difference(old: Any, new: Any, where: str = "") -> str | None:
    """The first field where two config dumps differ, as 'field is X there, Y here'."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            found = _difference(old.get(key), new.get(key), f"{where}.{key}" if where else key)
            if found:
                return found
        return None
    return None if old == new else f"{where} is {json.dumps(old)} there, {json.dumps(new)} here"


def _prepare_folder(root: Path) -> None:
    """Make the folder; OutputError when it cannot be written or already holds something else."""
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create dataset folder {root}: {err.strerror or err}") from None
    if not root.is_dir():
        raise OutputError(f"{root} is a file; choose a folder for the dataset")
    if not os.access(root, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write dataset folder {root}: permission denied")
    if not (root / "config.json").exists():
        strangers = sorted(p.name for p in root.iterdir() if p.name not in OWN_FILES)
        strangers += sorted(f"{folder}/{p.name}" for folder in FOLDERS if (root / folder).is_dir() for p in (root / folder).iterdir()
                            if temporary_target(p.name) is None)
        if strangers:
            raise OutputError(f"{root} already holds other files ({', '.join(strangers[:3])}); choose a new or empty folder")


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """Hold the folder's lock file for the duration; DatasetError when another build holds it."""
    try:
        import fcntl
    except ImportError:  # no advisory locks on this platform
        yield
        return
    try:
        handle = os.open(root / ".lock", os.O_CREAT | os.O_WRONLY, 0o644)
    except OSError as err:
        raise OutputError(f"cannot write dataset folder {root}: {err.strerror or err}") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise DatasetError(f"another build is writing {root}; wait for it or choose another folder") from None
        yield
    finally:
        os.close(handle)


def settle_config(root: Path, config: DatasetConfig | None, seed: int | None) -> DatasetConfig:
    """The config to build with: the one given (else the folder's, else the default), `seed` applied; DatasetError
    when the folder was built with another."""
    path = root / "config.json"
    existing = None
    if path.exists():
        try:
            existing = parse_folder_config(read_config_data(path))
        except DatasetError as err:
            raise DatasetError(f"{path} cannot be read ({err}); restore it or build into a new folder") from None
    chosen = config or existing or DatasetConfig()
    if seed is not None:
        chosen = parse_config({**chosen.model_dump(), "seed": seed})
    if existing is not None and chosen != existing:
        difference = _difference(existing.model_dump(mode="json"), chosen.model_dump(mode="json"))
        raise DatasetError(f"{root} was built with another config ({difference}); build into a new folder, or leave out "
                           "--config and --seed to continue it")
    return chosen


def _write_config(root: Path, config: DatasetConfig) -> None:
    """config.json where missing, and classes.json (class index, name, prompts, backend) where missing or not what
    the config makes of it (a damaged copy is replaced)."""
    classes = [{"index": k, "name": name, "prompts": config.sounds.prompts_of(name), "backend": config.sounds.backend_of(name)}
               for k, name in enumerate(config.sounds.classes)]
    text = json.dumps(classes, indent=1) + "\n"
    try:
        with open(root / "classes.json", "rb") as file:
            current = file.read(len(text.encode()) + 1)
    except OSError:
        current = b""
    if current != text.encode():
        write_text(root / "classes.json", text)
    if not (root / "config.json").exists():
        write_text(root / "config.json", config.to_json())


def _forget_config(root: Path) -> None:
    """Remove the config.json and classes.json this build wrote into a folder where it finished no item, so a corrected
    config can be used there."""
    for name in ("config.json", "classes.json"):
        (root / name).unlink(missing_ok=True)


def _remove_temporaries(root: Path) -> None:
    """Delete the hidden temporaries a killed build left beside its targets (ours by name; a user's .tmp stays)."""
    for folder in [root, *(root / f for f in FOLDERS)]:
        if folder.is_dir():
            for path in folder.iterdir():
                if temporary_target(path.name) is not None:
                    path.unlink(missing_ok=True)


def finished_indices(root: Path) -> np.ndarray:
    """Indices of the items whose record exists, sorted (int64)."""
    folder = root / RECORD_FOLDER
    if not folder.is_dir():
        return np.zeros(0, dtype=np.int64)
    return np.sort(np.fromiter((int(m.group(1)) for entry in os.scandir(folder) if (m := _RECORD.match(entry.name))), dtype=np.int64))


def write_item(root: Path, item: ItemFiles) -> None:
    """Commit one item's files as a set (the record last); OutputError, and nothing of it left, when one cannot be written."""
    try:
        with OutputSet() as outputs:
            for relative, data in item.files:
                outputs.stage(root / relative).write_bytes(data)
    except OSError as err:
        if isinstance(err, OutputError):
            raise
        raise OutputError(f"cannot write item {item.index} into {root}: {os_reason(err, root)}") from None


def rebuild_manifest(root: Path, config: DatasetConfig) -> Summary:
    """metadata.jsonl (one line per finished item, in index order), summary.json / summary.png and the dataset card
    (README.md), from the records."""
    summary = Summary(config)
    try:
        with atomic_path(root / MANIFEST) as tmp, open(tmp, "w", encoding="utf-8") as out:
            for index in map(int, finished_indices(root)):
                path = record_path(root, index)
                try:
                    with open(path, "rb") as file:
                        record = json.loads(file.read(MAX_RECORD_BYTES + 1).decode("utf-8"))
                    summary.add(record)
                except (ValueError, KeyError, TypeError, IndexError):  # not UTF-8, not JSON, not a record of an item's labels
                    raise DatasetError(f"{path} is not a valid item record; delete it and rerun to rebuild item {index}") from None
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    except OSError as err:
        raise OutputError(f"cannot write {root / MANIFEST}: {os_reason(err, root)}") from None
    summary.save(root)
    write_text(root / CARD, card_text(config, summary))
    return summary


def item_bytes(config: DatasetConfig) -> int:
    """Bytes one item takes on disk at most: its FOA, binaural (and stems) WAVs plus its text files."""
    channels = 4 + 2 + (int(config.events.count.max) if config.stems else 0)
    sample_bytes = {"16": 2, "24": 3, "32f": 4}[config.bit_depth]
    return int(np.ceil(config.length * config.sample_rate)) * channels * sample_bytes + ITEM_TEXT_BYTES


def _check_space(root: Path, missing: int, config: DatasetConfig) -> None:
    """DatasetError before any work when the items still to build cannot fit on the disk holding `root`."""
    try:
        stats = os.statvfs(root)
    except (OSError, AttributeError):
        return
    need, free = missing * item_bytes(config), stats.f_bavail * stats.f_frsize
    if need > free:
        raise DatasetError(f"n asks for {missing} more items, about {_size(need)} ({_size(item_bytes(config))} each), and the disk "
                           f"holding {root} has {_size(free)} free; lower --n or free space")


def _size(count: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if count < 1024 or unit == "PB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return ""


def _check_request(n: int, engine: str, workers: int | None, ray_address: str | None) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise DatasetError(f"n must be a whole number of items, 0 or more, got {n!r}")
    if engine not in ENGINES:
        raise DatasetError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise DatasetError(f"workers must be a whole number, 1 or more, got {workers!r}")
    if ray_address is not None and engine != "ray":
        raise DatasetError("--ray-address goes with --engine ray")


def build(root: str | Path, n: int, config: DatasetConfig | None = None, *, seed: int | None = None, engine: str = "local",
          workers: int | None = None, ray_address: str | None = None, progress: bool = False, retries: int = 3) -> BuildReport:
    """Make items 0..n-1 of `config` in the folder `root` (those already there are kept) and rebuild its manifest.

    `config` None continues the folder's config (the default config for a new folder); `seed` replaces the
    config's seed. `engine` 'local' runs `workers` processes (default: the CPUs this process may use; 1 runs in
    this process); 'ray' runs Ray tasks (see `engines.RayEngine`). Raises DatasetError / OutputError (one line);
    on any error or interrupt the finished items stay, with a manifest listing them when it can still be written.
    """
    _check_request(n, engine, workers, ray_address)
    root = Path(root)
    _prepare_folder(root)
    with _locked(root):
        fresh = not (root / "config.json").exists()
        config = settle_config(root, config, seed)
        _remove_temporaries(root)
        finished = finished_indices(root)
        done = set(map(int, finished[finished < n]))
        _check_space(root, n - len(done), config)
        _write_config(root, config)
        began = time.perf_counter()
        built = 0
        if n > len(done):
            try:
                engine_ = open_engine(engine, config, workers, ray_address, retries)
            except BaseException:
                if fresh:
                    _forget_config(root)
                raise
            bar = tqdm(total=n - len(done), desc="items", unit="item", disable=not progress, smoothing=0.05)
            try:
                items = engine_.items(i for i in range(n) if i not in done)
                try:
                    for item in items:
                        write_item(root, item)
                        built += 1
                        bar.update()
                finally:
                    items.close()  # type: ignore[attr-defined]
            except BaseException as err:
                if fresh and not built:
                    _forget_config(root)
                    raise
                _salvage(root, config)
                if isinstance(err, OutputError):
                    raise OutputError(f"{err}; the finished items are kept: free space (or fix the folder) and rerun the same command "
                                      "to continue") from None
                raise
            finally:
                bar.close()
                engine_.close()
        seconds = time.perf_counter() - began
        summary = rebuild_manifest(root, config)
    return BuildReport(root, built, int(finished.size), summary.items, seconds, summary)


def _salvage(root: Path, config: DatasetConfig) -> None:
    """After a failed build: list the finished items in the manifest if the disk still takes it."""
    with suppress(OutputError, DatasetError):
        rebuild_manifest(root, config)
