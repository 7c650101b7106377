"""Writing files: containers by extension, modes that follow the umask, and sets of files committed together."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
import soundfile as sf

from cascade.errors import OutputError
from cascade.files import FORMATS, OutputSet, write_audio, write_text

RATE = 48000
AUDIO = (0.25 * np.sin(2 * np.pi * 440 * np.arange(RATE // 4) / RATE)).astype(np.float32)


@pytest.mark.parametrize("suffix, channels, expected_format", [
    (".wav", 4, "WAV"), (".flac", 4, "FLAC"), (".ogg", 4, "OGG"), (".opus", 2, "OGG"), (".mp3", 2, "MP3"),
    (".aiff", 4, "AIFF"), (".caf", 4, "CAF"), (".w64", 4, "W64"), (".rf64", 4, "RF64"),
])
def test_each_container_round_trips(tmp_path, suffix, channels, expected_format):
    audio = np.stack([AUDIO * (k + 1) / channels for k in range(channels)])
    path = write_audio(tmp_path / f"out{suffix}", audio, RATE)
    info = sf.info(str(path))
    assert info.format == expected_format and info.channels == channels and info.samplerate == RATE
    back, _ = sf.read(str(path), dtype="float32", always_2d=True)
    lossless = isinstance(FORMATS[suffix][1], dict)
    middle = slice(RATE // 16, RATE // 8)  # lossy codecs add a delay and pre-echo at the ends
    levels = np.sqrt(np.mean(back[middle] ** 2, axis=0))
    assert np.allclose(levels, np.sqrt(np.mean(audio[:, middle] ** 2, axis=1)), rtol=0.01 if lossless else 0.15)


@pytest.mark.parametrize("depth, subtype", [("16", "PCM_16"), ("24", "PCM_24"), ("32f", "FLOAT")])
def test_bit_depth_sets_the_wav_sample_format(tmp_path, depth, subtype):
    assert sf.info(str(write_audio(tmp_path / "x.wav", AUDIO, RATE, depth))).subtype == subtype


@pytest.mark.parametrize("name, audio, depth, words", [
    ("out", AUDIO, None, "no extension"),
    ("out.xyz", AUDIO, None, "'.xyz'"),
    ("out.mp3", np.stack([AUDIO] * 4), None, "at most 2 channels"),
    ("out.flac", AUDIO, "32f", "bit depths 16, 24"),
    ("out.wav", AUDIO, "8", "bit depths 16, 24, 32f"),
])
def test_what_a_container_cannot_hold_is_refused_in_one_line(tmp_path, name, audio, depth, words):
    with pytest.raises(OutputError, match=words) as err:
        write_audio(tmp_path / name, audio, RATE, depth)
    assert "\n" not in str(err.value)
    assert not list(tmp_path.iterdir()), "nothing may be left behind"


def test_new_files_follow_the_umask_and_replaced_files_keep_their_mode(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    created = write_text(tmp_path / "new.json", "{}")
    assert stat.S_IMODE(created.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    kept = tmp_path / "kept.wav"
    kept.write_bytes(b"old")
    os.chmod(kept, 0o604)
    write_audio(kept, AUDIO, RATE)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o604


def test_a_set_is_all_new_or_all_old(tmp_path):
    first, second, scene = tmp_path / "a.wav", tmp_path / "a_foa.wav", tmp_path / "a.json"
    for path in (first, second, scene):
        path.write_bytes(b"earlier")
    with pytest.raises(RuntimeError), OutputSet() as outputs:
        outputs.stage(first).write_bytes(b"new")
        outputs.stage(second)
        raise RuntimeError("disk full while writing the second file")
    assert all(p.read_bytes() == b"earlier" for p in (first, second, scene))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "a.wav", "a_foa.wav"]
    with OutputSet() as outputs:
        for path in (first, second, scene):
            outputs.stage(path).write_bytes(b"new")
    assert all(p.read_bytes() == b"new" for p in (first, second, scene))


def test_a_failed_write_keeps_the_earlier_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "out.wav"
    write_audio(path, AUDIO, RATE, "32f")

    def disk_full(self, data):
        raise sf.LibsndfileError(28, "No space left on device")

    monkeypatch.setattr(sf.SoundFile, "write", disk_full)
    with pytest.raises(OutputError, match=r"cannot write .*out\.wav"):
        write_audio(path, np.zeros((2, 10), np.float32), RATE)
    monkeypatch.undo()
    back, _ = sf.read(str(path), dtype="float32")
    assert np.array_equal(back, AUDIO), "a failed write must leave the earlier file intact"
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"], "no temporary file may be left behind"


def _result(rate: int = 44100):
    from cascade.result import RenderResult
    from cascade.scene import Scene, SoundEvent

    t = np.arange(rate // 2) / rate
    tone = (0.3 * np.sin(2 * np.pi * 500 * t)).astype(np.float32)
    foa = np.stack([tone, 0.5 * tone, 0.1 * tone, -0.4 * tone])  # W, Y, Z, X of a source ahead-left
    scene = Scene(events=[SoundEvent(id="tone", description="a tone", duration=0.5)], sample_rate=rate)
    return RenderResult(np.stack([tone, 0.5 * tone]), foa, rate, scene)


@pytest.mark.parametrize("suffix", [".mp3", ".ogg", ".opus"])
def test_a_lossy_container_holds_the_binaural_and_the_ambix_goes_beside_as_flac(tmp_path, suffix):
    result = _result()
    written = result.save_all(tmp_path / f"out{suffix}")
    assert [p.name for p in written] == [f"out{suffix}", "out_foa.flac", "out.json"]
    assert sf.info(str(tmp_path / f"out{suffix}")).channels == 2
    foa, rate = sf.read(str(tmp_path / "out_foa.flac"), dtype="float32", always_2d=True)
    assert rate == 44100 and np.abs(foa.T - result.foa).max() < 2.0**-22  # 24-bit FLAC: AmbiX W, Y, Z, X as rendered


def test_ambix_alone_is_refused_in_a_container_without_an_ambisonics_layout(tmp_path):
    with pytest.raises(OutputError, match=r"\.opus has no channel layout for ambisonics .* write x\.opus as \.flac or \.wav"):
        _result().save(tmp_path / "x.opus", format="foa")
    assert not list(tmp_path.iterdir())


def test_opus_at_a_rate_it_does_not_take_is_resampled_to_48_khz(tmp_path):
    from cascade.result import container_notes

    result = _result(44100)
    result.save_all(tmp_path / "out.opus")
    info = sf.info(str(tmp_path / "out.opus"))
    assert info.samplerate == 48000 and abs(info.duration - 0.5) < 0.03  # same length in seconds (codec padding aside)
    back, _ = sf.read(str(tmp_path / "out.opus"), dtype="float32", always_2d=True)
    middle = back[4800:19200, 0]
    assert abs(20 * np.log10(np.sqrt(np.mean(middle**2)) / (0.3 / np.sqrt(2)))) < 0.5  # the tone's level kept
    spectrum = np.abs(np.fft.rfft(middle * np.hanning(middle.size)))
    assert abs(np.argmax(spectrum) * 48000 / middle.size - 500) < 5  # still 500 Hz: resampled, not relabelled
    assert container_notes(tmp_path / "out.opus", 44100) == [
        "AmbiX files are .flac beside out.opus: .opus has no channel layout for ambisonics (players would read its 4 channels as surround)",
        "out.opus is resampled to 48000 Hz: Opus does not take 44100 Hz"]
