"""Hostile inputs on the verbs beside `render`: plot, cache, dataset, odd SOFA sets, sets of output files, leftovers
of killed runs, the web app's API, and the words of a full disk.

Command-line cases run `cascade` in a fresh folder that holds an earlier render, as tests/test_hostile.py does: an
error exits with status 2 and one `cascade: error:` line holding the case's words, with no traceback, no temporary
left and the earlier render untouched; a case that should succeed is checked against what it must have done. A case's
`check` runs in both kinds, so what it must leave alone is checked too.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from backends import write_tiny_library
from test_hostile import EARLIER, OUTPUTS, Case, _leftovers, _run, event, scene

import cascade
from cascade.budget import estimate
from cascade.errors import CascadeError, RendererError
from cascade.pipeline import DRY_TAIL
from cascade.scene import Scene

pytestmark = pytest.mark.slow

DEAD_PID = 4_999_999  # above Linux's largest possible pid (2**22): no process ever has it
LEFT = {"id": "dog", "description": "a dog barks", "duration": 1.0, "position": {"azimuth": 90.0, "elevation": 0.0}}


@dataclass
class VerbCase(Case):
    """A `Case` whose folder may keep the temporaries named in `keep` (a user's own .tmp files)."""

    keep: tuple[str, ...] = ()


# --- files the cases start from

def write_sofa(path: Path, positions: list[list[float]], rate: float = 48000.0) -> None:
    """A SimpleFreeFieldHRIR file: spherical positions (azimuth, elevation in degrees, distance in m), the left ear's
    impulse louder and earlier for sources on the left (azimuth 0-180), so a render's side can be read back."""
    import sofar

    sofa = sofar.Sofa("SimpleFreeFieldHRIR")
    positions_ = np.asarray(positions, dtype=float)
    left = np.sin(np.radians(positions_[:, 0])) * np.cos(np.radians(positions_[:, 1]))  # +1 left, -1 right
    ir = np.zeros((len(positions_), 2, 64))
    for k, side in enumerate(left):
        ir[k, 0, 10 - int(round(4 * side))] = 1.0 + 0.8 * side
        ir[k, 1, 10 + int(round(4 * side))] = 1.0 - 0.8 * side
    sofa.Data_IR = ir
    sofa.SourcePosition = positions_
    sofa.Data_SamplingRate = rate
    sofar.write_sofa(str(path), sofa, compression=0)


FULL_SPHERE_WITHOUT_POLES = [[az, el, 1.5] for el in range(-70, 80, 10) for az in range(0, 360, 15)]
ODD_SOFA = {
    "one measurement": [[0, 0, 1.5]],
    "two antipodal": [[0, 0, 1.5], [180, 0, 1.5]],
    "six identical": [[30, 10, 1.5]] * 6,
    "horizontal plane only": [[az, 0, 1.5] for az in range(0, 360, 10)],
    "one ring above": [[az, 30, 1.5] for az in range(0, 360, 10)],
}


def sofa_file(positions: list[list[float]], rate: float = 48000.0, name: str = "head.sofa") -> Callable[[Path], object]:
    return lambda folder: write_sofa(folder / name, positions, rate)


def fifo_of(size: int, name: str) -> Callable[[Path], object]:
    """A FIFO that yields `size` bytes of spaces to whoever opens it."""
    def make(folder: Path) -> None:
        os.mkfifo(folder / name)

        def write() -> None:
            try:
                with open(folder / name, "wb") as pipe:
                    pipe.write(b" " * size)
            except BrokenPipeError:  # the reader stopped at its limit
                pass
        threading.Thread(target=write, daemon=True).start()
    return make


def wav(name: str, audio: np.ndarray, rate: int = 44100) -> Callable[[Path], object]:
    return lambda folder: sf.write(folder / name, audio, rate, subtype="FLOAT")


def with_nan(value: float) -> np.ndarray:
    audio = np.zeros((4410, 2), np.float32)
    audio[100, 0] = value
    return audio


def own_cache(folder: Path) -> None:
    """A folder that is both the cache and the user's: the cache's clips and HRIR sets beside the user's notes."""
    home = folder / "home"
    (home / "clips" / "ab").mkdir(parents=True)
    (home / "hrirs").mkdir()
    np.save(home / "clips" / "ab" / ("ab" + "0" * 62 + ".npy"), np.zeros(10, np.float32))
    (home / "hrirs" / ("0" * 32 + "-diffuse-v2.npz")).write_bytes(b"npz")
    (home / "notes.txt").write_text("mine")
    (home / "clips" / "todo.txt").write_text("mine too")
    (home / "Music").mkdir()
    (home / "Music" / "song.wav").write_bytes(b"RIFF")


def cache_clear_kept_the_user_s_files(folder: Path, done: subprocess.CompletedProcess) -> None:
    home = folder / "home"
    assert (home / "notes.txt").read_text() == "mine" and (home / "clips" / "todo.txt").read_text() == "mine too"
    assert (home / "Music" / "song.wav").read_bytes() == b"RIFF"
    assert not (home / "hrirs").exists() and not list((home / "clips").rglob("*.npy"))
    assert "removed 2 files" in done.stdout and "kept 3 files" in done.stdout


def unchanged(name: str, content: bytes) -> Callable[[Path, subprocess.CompletedProcess], None]:
    def check(folder: Path, done: subprocess.CompletedProcess) -> None:
        assert (folder / name).read_bytes() == content, f"{name} changed"
    return check


def is_pdf(folder: Path, done: subprocess.CompletedProcess) -> None:
    assert (folder / "p.pdf").read_bytes()[:5] == b"%PDF-"


def empty_dataset(folder: Path) -> None:
    """A dataset folder built with the default config and no items yet (config.json, classes.json)."""
    from cascade.dataset import build

    build(folder / "d", 0)


def dataset_with_record(content: bytes) -> Callable[[Path], object]:
    def make(folder: Path) -> None:
        empty_dataset(folder)
        (folder / "d" / "items").mkdir()
        (folder / "d" / "items" / "000000.json").write_bytes(content)
    return make


def classes_repaired(folder: Path, done: subprocess.CompletedProcess) -> None:
    from cascade.dataset import DatasetConfig

    classes = json.loads((folder / "d" / "classes.json").read_text())
    assert [c["name"] for c in classes] == DatasetConfig().sounds.classes and [c["index"] for c in classes] == list(range(len(classes)))


def drafts_kept(folder: Path, done: subprocess.CompletedProcess) -> None:
    assert (folder / "d" / "scenes" / ".draft.tmp").read_text() == "draft" and (folder / "d" / "scenes" / "my_scene.json").exists()
    assert sorted(p.name for p in (folder / "d").iterdir()) == ["scenes"]


def no_config_left(folder: Path, done: subprocess.CompletedProcess) -> None:
    """A refused or failed build leaves no config.json, so the next build may use another config."""
    assert not (folder / "d" / "config.json").exists() and not (folder / "d" / "classes.json").exists()
    from cascade.dataset import build

    build(folder / "d", 0)  # the default config is accepted there


def silent_library(folder: Path) -> None:
    write_tiny_library(folder / "lib")
    sf.write(folder / "lib" / "dog_bark.wav", np.zeros(22050, np.float32), 44100)


def dataset_config(**fields: object) -> Callable[[Path], object]:
    return lambda folder: (folder / "c.json").write_text(json.dumps(fields))


def earlier_render(*events: dict, stems: bool = False, fuma: bool = False) -> Callable[[Path], object]:
    """A real earlier render into out.wav (its scene JSON included), with stems or FuMa."""
    def make(folder: Path) -> None:
        result = cascade.render_scene(Scene.from_json(scene(*events)), cache=False)
        result.save_all(folder / "out.wav", stems=stems, fuma=fuma)
    return make


def only_new_stems(folder: Path, done: subprocess.CompletedProcess) -> None:
    assert sorted(p.name for p in (folder / "out_stems").iterdir()) == ["dog.wav", "dog_foa.wav"]
    assert [e.id for e in Scene.load(folder / "out.json").events] == ["dog"]


def no_fuma_left(folder: Path, done: subprocess.CompletedProcess) -> None:
    assert not (folder / "out_fuma.wav").exists() and not (folder / "out_stems").exists()
    assert [e.id for e in Scene.load(folder / "out.json").events] == ["dog"]


def stale_temporaries(folder: Path) -> None:
    """A dead render's temporary, a live process's (pid 1 never ends), and a user's own file ending in .tmp."""
    for name in (f".out.wav.{DEAD_PID}-abcdefgh.tmp", f".out.json.{DEAD_PID}-a1b2c3d4.tmp", ".out.wav.1-abcdefgh.tmp", ".out.wav.draft.tmp"):
        (folder / name).write_bytes(b"partial")


def only_the_dead_render_s_temporaries_removed(folder: Path, done: subprocess.CompletedProcess) -> None:
    assert sorted(p.name for p in _leftovers(folder)) == [".out.wav.1-abcdefgh.tmp", ".out.wav.draft.tmp"]
    assert sf.info(str(folder / "out.wav")).channels == 2


def left_ear_louder(folder: Path, done: subprocess.CompletedProcess) -> None:
    """A source at azimuth +90 (left) through a set measured without its poles: the left ear is the louder by 6 dB."""
    audio, _ = sf.read(str(folder / "out.wav"), always_2d=True)
    left, right = np.sqrt((audio**2).mean(axis=0))
    assert 20 * np.log10(left / right) > 6.0


CASES: dict[str, VerbCase] = {
    # --- cache
    "cache clear in a folder of the user's": VerbCase(["cache", "clear"], ok=True, files={"home": own_cache}, env={"CASCADE_CACHE_DIR": "home"},
                                                      check=cache_clear_kept_the_user_s_files),
    "cache folder is a file, render": VerbCase(["render", "a dog barks", "-o", "out.wav"], "CASCADE_CACHE_DIR", files={"c": b"x"},
                                               env={"CASCADE_CACHE_DIR": "c"}, check=unchanged("c", b"x")),
    "cache folder is a file, info": VerbCase(["cache", "info"], "CASCADE_CACHE_DIR", files={"c": b"x"}, env={"CASCADE_CACHE_DIR": "c"}),
    "cache folder is a file, clear": VerbCase(["cache", "clear"], "not a folder", files={"c": b"x"}, env={"CASCADE_CACHE_DIR": "c"},
                                              check=unchanged("c", b"x")),
    # --- plot
    "plot onto its scene": VerbCase(["plot", "s.json", "-o", "s.json"], "also an input", check=unchanged("s.json", scene().encode())),
    "plot onto its audio": VerbCase(["plot", "s.json", "--audio", "a.wav", "-o", "a.wav"], "also an input",
                                    files={"a.wav": b"RIFF audio"}, check=unchanged("a.wav", b"RIFF audio")),
    "plot to PDF": VerbCase(["plot", "s.json", "-o", "p.pdf"], ok=True, check=is_pdf),
    "plot to JPEG": VerbCase(["plot", "s.json", "-o", "p.jpg"], "'.jpg'"),
    "plot into the working folder": VerbCase(["plot", "s.json", "-o", "."], "is a folder"),
    "plot into /proc": VerbCase(["plot", "s.json", "-o", "/proc/p.png"], "cannot write"),
    "plot audio of zero frames": VerbCase(["plot", "s.json", "--audio", "a.wav", "-o", "p.png"], "no samples",
                                          files={"a.wav": wav("a.wav", np.zeros((0, 2), np.float32))}),
    "plot audio with NaN": VerbCase(["plot", "s.json", "--audio", "a.wav", "-o", "p.png"], "NaN", files={"a.wav": wav("a.wav", with_nan(np.nan))}),
    "plot audio with Inf": VerbCase(["plot", "s.json", "--audio", "a.wav", "-o", "p.png"], "infinite",
                                    files={"a.wav": wav("a.wav", with_nan(np.inf))}),
    # --- dataset folders and configs
    "dataset into a folder of the user's scenes": VerbCase(["dataset", "build", "d", "--n", "1", "-q"], "other files", check=drafts_kept,
                                                           files={"d": lambda f: [(f / "d" / "scenes").mkdir(parents=True),
                                                                                  (f / "d" / "scenes" / "my_scene.json").write_text("{}"),
                                                                                  (f / "d" / "scenes" / ".draft.tmp").write_text("draft")]},
                                                           keep=(".draft.tmp",)),
    "dataset of 10**12 items": VerbCase(["dataset", "build", "d", "--n", str(10**12), "-q"], "free", check=no_config_left),
    "dataset config /dev/zero": VerbCase(["dataset", "build", "d", "--n", "1", "--config", "/dev/zero"], ".json, .yaml or .yml"),
    "dataset config linked to /dev/zero": VerbCase(["dataset", "build", "d", "--n", "1", "--config", "z.json"], "larger than 1 MiB",
                                                   files={"z.json": lambda f: (f / "z.json").symlink_to("/dev/zero")}),
    "dataset config of 64 MiB through a FIFO": VerbCase(["dataset", "build", "d", "--n", "1", "--config", "big.json"], "larger than 1 MiB",
                                                        files={"big.json": fifo_of(64 << 20, "big.json")}),
    "dataset config.json of the folder linked to /dev/zero": VerbCase(
        ["dataset", "build", "d", "--n", "1"], "restore it", files={"d": lambda f: [empty_dataset(f), (f / "d" / "config.json").unlink(),
                                                                                   (f / "d" / "config.json").symlink_to("/dev/zero")]}),
    "dataset with a corrupted classes.json": VerbCase(["dataset", "build", "d", "--n", "0", "-q"], ok=True, check=classes_repaired,
                                                      files={"d": lambda f: [empty_dataset(f), (f / "d" / "classes.json").write_text("[broken")]}),
    "dataset record that is a list": VerbCase(["dataset", "build", "d", "--n", "1"], "000000.json is not a valid item record",
                                              files={"d": dataset_with_record(b"[1, 2]")}),
    "dataset record not UTF-8": VerbCase(["dataset", "build", "d", "--n", "1"], "000000.json is not a valid item record",
                                         files={"d": dataset_with_record(b'{"events": "\xff\xfe"}')}),
    "dataset record missing keys": VerbCase(["dataset", "build", "d", "--n", "1"], "000000.json is not a valid item record",
                                            files={"d": dataset_with_record(b'{"events": [{}]}')}),
    "dataset failing on its first item": VerbCase(["dataset", "build", "d", "--n", "2", "--workers", "1", "--config", "c.json", "-q"], "SOFA file",
                                                  files={"c.json": dataset_config(hrtf="ring.sofa"),
                                                         "ring.sofa": sofa_file(ODD_SOFA["horizontal plane only"], name="ring.sofa")},
                                                  check=no_config_left),
    "dataset from a library of silence": VerbCase(["dataset", "build", "d", "--n", "1", "--workers", "1", "--config", "c.json", "--library", "lib", "-q"],
                                                  "digital silence", files={"lib": silent_library,
                                                                            "c.json": dataset_config(sounds={"classes": ["dog"], "speech_generator": None})}),
    "render from a library of silence": VerbCase(["render", "s.json", "-o", "out.wav", "--library", "lib", "-q"], "digital silence",
                                                 files={"lib": silent_library}),
    # --- odd SOFA sets: one line at load, for every renderer
    **{f"SOFA of {name}": VerbCase(["render", "s.json", "-o", "out.wav", "--hrtf", "head.sofa"], "SOFA file head.sofa holds",
                                   files={"head.sofa": sofa_file(positions)}) for name, positions in ODD_SOFA.items()},
    "SOFA at 1 GHz": VerbCase(["render", "s.json", "-o", "out.wav", "--hrtf", "head.sofa"], "sampling rate of 1e+09 Hz",
                              files={"head.sofa": sofa_file(FULL_SPHERE_WITHOUT_POLES, rate=1e9)}),
    "SOFA of two directions, foa renderer": VerbCase(["render", "s.json", "-o", "out.wav", "--renderer", "foa", "--hrtf", "head.sofa"],
                                                     "SOFA file head.sofa holds", files={"head.sofa": sofa_file(ODD_SOFA["two antipodal"])}),
    "SOFA of a sphere without poles": VerbCase(["render", "s.json", "-o", "out.wav", "--hrtf", "head.sofa", "-q"], ok=True, check=left_ear_louder,
                                               files={"s.json": scene(LEFT).encode(), "head.sofa": sofa_file(FULL_SPHERE_WITHOUT_POLES)}),
    # --- sets of output files
    "stems of ids dog and dog_foa": VerbCase(["render", "s.json", "-o", "out.wav", "--stems"], "would both write",
                                             files={"s.json": scene(event(), event(id="dog_foa")).encode()}),
    "earlier stems of other events": VerbCase(["render", "s.json", "-o", "out.wav", "--stems", "-q"], ok=True, check=only_new_stems,
                                              files={"earlier": earlier_render(event(id="cat", description="a cat meows"), stems=True)}),
    "earlier FuMa and stems, none now": VerbCase(["render", "s.json", "-o", "out.wav", "-q"], ok=True, check=no_fuma_left,
                                                 files={"earlier": earlier_render(event(id="cat", description="a cat meows"), stems=True, fuma=True)}),
    "a FuMa file no scene names": VerbCase(["render", "s.json", "-o", "out.wav"], "out_fuma.wav", files={"out_fuma.wav": EARLIER},
                                           check=unchanged("out_fuma.wav", EARLIER)),
    "the user's audio in the stems folder": VerbCase(["render", "s.json", "-o", "out.wav", "--stems"], "mine.wav",
                                                     files={"out_stems": lambda f: [(f / "out_stems").mkdir(), (f / "out_stems" / "mine.wav").write_bytes(b"RIFF")]},
                                                     check=unchanged("out_stems/mine.wav", b"RIFF")),
    "a killed render's temporaries": VerbCase(["render", "s.json", "-o", "out.wav", "-q"], ok=True, files={"tmp": stale_temporaries},
                                              check=only_the_dead_render_s_temporaries_removed,
                                              keep=(".out.wav.1-abcdefgh.tmp", ".out.wav.draft.tmp")),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess, float]]:
    root = tmp_path_factory.mktemp("hostile-verbs")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(_run, name, case, root) for name, case in CASES.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_command_line_case(name, runs):
    case = CASES[name]
    folder, done, _ = runs[name]
    assert "Traceback" not in done.stderr, done.stderr
    left = [p for p in _leftovers(folder) if p.name not in case.keep]
    assert not left, f"temporary files left: {left}"
    if case.ok:
        assert done.returncode == 0, done.stderr
    else:
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1, done.stderr
        assert lines[0].startswith("cascade: error:") and case.words.lower() in lines[0].lower(), lines[0]
        assert lines[0].count("cannot write") <= 1 and lines[0].count("cascade:") == 1, lines[0]
        for output in OUTPUTS:
            assert (folder / output).read_bytes() == EARLIER, f"{output} changed"
    if case.check is not None:
        case.check(folder, done)


@pytest.mark.parametrize("name", list(ODD_SOFA))
def test_odd_sofa_sets_are_refused_at_load_through_the_api(tmp_path, name):
    """The HRTF loader, which every renderer and the dataset builder use, refuses each odd set in one line."""
    write_sofa(tmp_path / "odd.sofa", ODD_SOFA[name])
    with pytest.raises(RendererError) as err:
        cascade.render_scene(Scene.from_json(scene()), hrtf=str(tmp_path / "odd.sofa"), cache=False)
    assert "directions not all on one plane" in str(err.value) and "\n" not in str(err.value)


def test_the_suite_of_verbs_is_large():
    assert len(CASES) >= 40


# --- memory: the estimate covers what a render with stems and FuMa holds at its peak

PEAK_OF = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
"""


def _peak_bytes(args: list[str], folder: Path) -> int:
    env = {**os.environ, "CASCADE_CACHE_DIR": str(folder / "cache"), "PYTHONPATH": str(Path.cwd())}
    done = subprocess.run([sys.executable, "-c", PEAK_OF, sys.executable, "-m", "cascade.cli", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600, check=True)
    return int(done.stdout.strip())


def test_a_long_sparse_scene_peaks_within_its_estimate(tmp_path):
    """One 0.5 s event in a 600 s scene at 48 kHz, written with stems and FuMa: the render's own memory (its peak less
    that of a 0.5 s scene's render, the interpreter and libraries) stays under the estimate, and the estimate is not
    more than twice what it holds."""
    long = {"duration": 600, "sample_rate": 48000, "events": [event(duration=0.5)]}
    (tmp_path / "long.json").write_text(json.dumps(long))
    (tmp_path / "short.json").write_text(json.dumps({**long, "duration": 0.5}))
    base = _peak_bytes(["render", "short.json", "-o", "s.wav", "--stems", "--fuma", "-q"], tmp_path)
    peak = _peak_bytes(["render", "long.json", "-o", "l.wav", "--stems", "--fuma", "-q"], tmp_path)
    expected = estimate(Scene.load(tmp_path / "l.json"), DRY_TAIL).memory
    assert peak - base <= expected <= 2 * (peak - base), (peak, base, expected)


# --- leftovers: a build killed with SIGKILL takes its workers with it

def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_kill_9_of_a_two_worker_build_leaves_no_process(tmp_path):
    env = {**os.environ, "CASCADE_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(Path.cwd())}
    driver = subprocess.Popen([sys.executable, "-m", "cascade.cli", "dataset", "build", "d", "--n", "40", "--workers", "2", "-q"],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while not ((tmp_path / "d" / "items").is_dir() and any((tmp_path / "d" / "items").iterdir())):  # the workers are at work
        assert driver.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    children = _children(driver.pid)
    assert len(children) >= 2
    driver.kill()
    driver.wait()
    deadline = time.monotonic() + 15
    while (alive := [c for c in children if Path(f"/proc/{c}").exists() and "Z" not in _state(c)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alive == [], f"processes left running after the build was killed: {alive}"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


# --- messages: a full disk says so, however the library reports it

FULL_DISK = """
import os, sys, soundfile
from cascade.cli import entry
original = soundfile.SoundFile.write
def write(self, data):
    if self.channels == 4:
        os.statvfs = lambda path: os.statvfs_result((4096, 4096, 1000, 0, 0, 1000, 0, 0, 0, 255))  # no block free
        raise soundfile.LibsndfileError(2, "")  # what libsndfile reports for ENOSPC: "System error."
    return original(self, data)
soundfile.SoundFile.write = write
sys.argv = ["cascade", "render", "a dog barks", "-o", "out.wav"]
entry()
"""


def test_a_full_disk_reported_as_a_system_error_says_the_disk_is_full(tmp_path):
    for output in OUTPUTS:
        (tmp_path / output).write_bytes(EARLIER)
    env = {**os.environ, "CASCADE_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(Path.cwd())}
    done = subprocess.run([sys.executable, "-c", FULL_DISK], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("cascade: error: cannot write") and "disk is full" in lines[0], lines[0]
    assert all((tmp_path / output).read_bytes() == EARLIER for output in OUTPUTS) and not _leftovers(tmp_path)


# --- the web app's API: only the folders it offers, no uploads, clean errors, nothing left after it stops

def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """`cascade ui --library lib` with its temporary folder under a private TMPDIR; yields (url, folder, log path)."""
    folder = tmp_path_factory.mktemp("app")
    write_tiny_library(folder / "lib")
    (folder / "other").mkdir()
    (folder / "tmp").mkdir()
    port = _free_port()
    env = {**os.environ, "CASCADE_CACHE_DIR": str(folder / "cache"), "PYTHONPATH": str(Path.cwd()), "TMPDIR": str(folder / "tmp"),
           "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    env.pop("GRADIO_TEMP_DIR", None)
    log = open(folder / "server.log", "w+")  # noqa: SIM115 (open for the server's whole life)
    server = subprocess.Popen([sys.executable, "-m", "cascade.cli", "ui", "--port", str(port), "--library", "lib"], cwd=folder, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    try:
        while True:
            try:
                urllib.request.urlopen(url + "/gradio_api/info", timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                assert server.poll() is None and time.monotonic() < deadline, (folder / "server.log").read_text()
                time.sleep(0.5)
        yield url, folder, server
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
        log.close()


def _post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _call(url: str, name: str, data: list) -> tuple[str, list]:
    """The status line (HTML) an endpoint answers with, and all it answers, through Gradio's two-step API."""
    status, body = _post(f"{url}/gradio_api/call/{name}", json.dumps({"data": data}).encode())
    assert status == 200, body
    event_id = json.loads(body)["event_id"]
    with urllib.request.urlopen(f"{url}/gradio_api/call/{name}/{event_id}", timeout=300) as response:
        stream = response.read().decode()
    payload = json.loads(re.findall(r"^data: (.*)$", stream, re.MULTILINE)[-1])
    return next(v for v in payload if isinstance(v, str) and "class=" in v), payload


def _run_inputs(planner: str = "rules", generator: str = "auto", renderer: str = "hrtf", rate: object = 44100, library: str = "(none)") -> list:
    return ["a dog barks", "", {}, {"headers": [], "data": []}, planner, generator, renderer, rate, 0, False, 6, 4, 3, 0.5, library]


APP_CASES = {
    "a folder the app does not offer": (_run_inputs(generator="library", library="{folder}/other"), "library must be one of the folders"),
    "the server's root as the library": (_run_inputs(generator="library", library="/"), "library must be one of the folders"),
    "a planner outside the choices": (_run_inputs(planner="magic"), "unknown planner 'magic'"),
    "a renderer outside the choices": (_run_inputs(renderer="magic"), "magic"),
    "a generator outside the choices": (_run_inputs(generator="magic"), "magic"),
    "a sample rate outside the choices": (_run_inputs(rate=12345), "sample_rate"),
}


@pytest.mark.parametrize("name", list(APP_CASES))
def test_app_refuses_values_it_does_not_offer(app, name):
    import html

    url, folder, _ = app
    data, words = APP_CASES[name]
    status = html.unescape(_call(url, "run", [str(v).replace("{folder}", str(folder)) if isinstance(v, str) else v for v in data])[0])
    assert 'class="error"' in status and words in status, status
    assert not (folder / "other" / ".cascade_index.npz").exists() and list((folder / "other").iterdir()) == []


def test_app_renders_from_the_folder_it_offers(app):
    url, folder, _ = app
    status, payload = _call(url, "run", _run_inputs(generator="library", library=str((folder / "lib").resolve())))
    assert 'class="error"' not in status, status
    scene_file = next(f["path"] for f in payload[2] if f["path"].endswith("scene.json"))
    generation = Scene.load(scene_file).events[0].generation
    assert generation is not None and generation.backend == "library" and generation.detail["file"] == "dog_bark.wav"


def test_app_answers_an_unknown_endpoint_with_404_and_one_line(app):
    url, _, _ = app
    status, body = _post(f"{url}/gradio_api/call/nope", b'{"data": []}')
    assert status == 404 and "/plan, /edited and /run" in json.loads(body)["error"]
    status, body = _post(f"{url}/gradio_api/run/nope", b'{"data": []}')
    assert status == 404


@pytest.mark.parametrize("size", [1000, 30 << 20])
def test_app_refuses_uploads_and_keeps_none(app, size):
    """The app has no upload field: Gradio's upload endpoint refuses any file (413, or the connection closed while a large
    one is still being sent) and keeps nothing of it."""
    url, folder, _ = app
    boundary = "cascade-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"upload.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + b"u" * size + f"\r\n--{boundary}--\r\n".encode()
    try:
        status, _ = _post(f"{url}/gradio_api/upload", body, f"multipart/form-data; boundary={boundary}")
    except (urllib.error.URLError, ConnectionError) as err:
        assert size > 1 << 20, err
    else:
        assert status == 413
    assert not list((folder / "tmp").rglob("upload.bin"))


def test_app_leaves_nothing_in_the_temporary_folder_and_no_traceback_after_it_stops(app):
    url, folder, server = app
    _call(url, "run", _run_inputs())  # rendered files, and Gradio's copies of them
    assert [p for p in (folder / "tmp").rglob("*") if p.is_file()]
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=300)  # Gradio's threads take a while to stop on a busy CPU
    # torch keeps its compiler cache (torchinductor_USER) in the temporary folder by design; it is not the app's
    assert [p for p in (folder / "tmp").iterdir() if not p.name.startswith("torchinductor_")] == []
    assert "Traceback" not in (folder / "server.log").read_text()


def test_the_app_s_folder_check():
    """The check the app's `run` makes of its library field."""
    from cascade.ui import offered_folder

    assert offered_folder("(none)", ("/a",)) is None and offered_folder("/a", ("/a",)) == "/a"
    with pytest.raises(CascadeError) as err:
        offered_folder("/etc", ("/a",))
    assert "library must be one of the folders this app offers (/a)" in str(err.value)


# --- files written a block at a time hold exactly what a whole-array write would

def test_a_placed_block_write_is_the_audio_at_its_offset_in_silence(tmp_path):
    from cascade.files import WRITE_BLOCK, write_audio_to

    audio = np.arange(1, 2 * 1000 + 1, dtype=np.float32).reshape(2, 1000) / 4096
    offset, length = WRITE_BLOCK - 300, 2 * WRITE_BLOCK + 5  # the audio straddles a block boundary
    write_audio_to(tmp_path / "x.wav", tmp_path / "x.wav", audio, 48000, "32f", offset=offset, length=length)
    read, _ = sf.read(str(tmp_path / "x.wav"), dtype="float32", always_2d=True)
    assert read.shape == (length, 2)
    assert np.array_equal(read[offset : offset + 1000].T, audio)
    assert not read[:offset].any() and not read[offset + 1000 :].any()


def test_fuma_and_stems_written_by_blocks_follow_their_definitions(tmp_path):
    """FuMa is W/√2, X, Y, Z of the AmbiX file; each stem pair sits at its event's start and is silent elsewhere."""
    events = [event(duration=0.4), event(id="cat", description="a cat meows", start=0.7, duration=0.3)]
    result = cascade.render_scene(Scene.from_json(scene(*events)), cache=False)
    result.save_all(tmp_path / "out.wav", stems=True, fuma=True, bit_depth="32f")
    foa, _ = sf.read(str(tmp_path / "out_foa.wav"), dtype="float32", always_2d=True)
    fuma, _ = sf.read(str(tmp_path / "out_fuma.wav"), dtype="float32", always_2d=True)
    w, y, z, x = foa.T
    assert np.allclose(fuma.T, [w / np.sqrt(2), x, y, z], atol=1e-7)
    start = int(round(0.7 * result.sample_rate))
    cat, _ = sf.read(str(tmp_path / "out_stems" / "cat_foa.wav"), dtype="float32", always_2d=True)
    dog, _ = sf.read(str(tmp_path / "out_stems" / "dog_foa.wav"), dtype="float32", always_2d=True)
    assert cat.shape == dog.shape == foa.shape and not cat[:start].any() and np.abs(cat[start:]).max() > 0  # sound travels: it starts a little after
    assert np.allclose(cat + dog, foa, atol=1e-5)  # the stems sum to the mix
