"""Scene figures: read back from the figure's own data, against positions and times fixed by the test."""

import json

import numpy as np
import pytest
import soundfile as sf
from matplotlib.image import imread

import cascade
from cascade.cli import main
from cascade.plot import scene_figure
from cascade.scene import Scene


def _scene(events, room=None):
    data = {"events": [{"id": i, "description": f"sound {i}", "start": s, "duration": d, "position": p, **extra}
                       for i, s, d, p, extra in events]}
    if room:
        data["room"] = room
    return Scene.from_dict(data)


def _axes(fig, label):
    return next(ax for ax in fig.axes if ax.get_label() == label)


def _artist(ax, gid):
    return next(a for a in ax.get_children() if a.get_gid() == gid)


def _static(event_id, azimuth, elevation=0.0, distance=2.0, start=0.0, duration=1.0):
    return event_id, start, duration, {"azimuth": azimuth, "elevation": elevation, "distance": distance}, {}


def test_each_timeline_bar_spans_its_event_from_start_to_end():
    scene = _scene([_static("a", 0, start=0.0, duration=3.0), _static("b", 90, start=1.5, duration=0.75), _static("c", -90, start=4.0, duration=6.0)])
    timeline = _axes(scene_figure(scene), "timeline")
    for event_id, start, end in (("a", 0.0, 3.0), ("b", 1.5, 2.25), ("c", 4.0, 10.0)):
        bar = _artist(timeline, event_id)
        assert bar.get_x() == pytest.approx(start) and bar.get_x() + bar.get_width() == pytest.approx(end)
    assert timeline.get_xlim() == pytest.approx((0.0, 10.0))
    assert [t.get_text() for t in timeline.get_yticklabels()] == ["c", "b", "a"]  # first event on top


def test_map_draws_front_up_and_left_on_the_left():
    scene = _scene([_static("front", 0), _static("left", 90), _static("right", -90), _static("behind", 180),
                    _static("up", 0, elevation=60.0, distance=2.0)])
    ax = _axes(scene_figure(scene), "map")
    expected = {"front": (0, 2), "left": (-2, 0), "right": (2, 0), "behind": (0, -2), "up": (0, 1.0)}  # 2 m · cos 60° = 1 m
    for event_id, xy in expected.items():
        marker = _artist(ax, f"source:{event_id}")
        assert marker.get_xydata()[0] == pytest.approx(xy, abs=1e-9)
    assert _artist(ax, "source:up").get_marker() == "^" and _artist(ax, "source:front").get_marker() == "o"


def test_room_outline_is_centred_on_the_listener_with_front_depth_vertical():
    scene = _scene([_static("a", 0)], room={"dimensions": [6.0, 4.0, 3.0], "rt60": 0.4})
    room = _artist(_axes(scene_figure(scene), "map"), "room")
    assert (room.get_x(), room.get_y(), room.get_width(), room.get_height()) == pytest.approx((-2.0, -3.0, 4.0, 6.0))


def test_a_listener_off_centre_sees_the_room_around_it():
    """Listener 1 m from the back wall and 1 m from the right wall of a 6 x 4 m room: 5 m of room ahead, 3 m to the left."""
    scene = _scene([_static("a", 0)], room={"dimensions": [6.0, 4.0, 3.0], "rt60": 0.4, "listener": [1.0, 1.0, 1.5]})
    room = _artist(_axes(scene_figure(scene), "map"), "room")
    left_edge, back_edge = room.get_x(), room.get_y()
    assert (left_edge, back_edge, left_edge + room.get_width(), back_edge + room.get_height()) == pytest.approx((-3.0, -1.0, 1.0, 5.0))


def test_a_source_far_outside_a_small_room_is_drawn_at_the_edge_in_its_direction():
    scene = _scene([_static("near", 30, distance=1.0), _static("far", -45, distance=100.0)], room={"dimensions": [3.0, 3.0, 2.5], "rt60": 0.3})
    ax = _axes(scene_figure(scene), "map")
    limit = ax.get_xlim()[1]
    assert limit < 10.0  # the near source and the room stay readable
    x, y = _artist(ax, "source:far").get_xydata()[0]
    assert 0 < x < limit and 0 < y < limit and x == pytest.approx(y)  # az -45: front-right, on the diagonal
    labels = " ".join(t.get_text() for t in ax.texts)
    assert "100.0 m" in labels and "off scale" in labels


@pytest.mark.parametrize("start, end, mid_y", [(60.0, -60.0, 1.0), (120.0, -120.0, -1.0)])
def test_moving_source_path_is_the_straight_line_between_its_keys(start, end, mid_y):
    moving = ("m", 0.0, 4.0, {"azimuth": start, "distance": 3.0},
              {"trajectory": [{"time": 4.0, "position": {"azimuth": end, "distance": 3.0}}]})
    ax = _axes(scene_figure(_scene([moving])), "map")
    path = _artist(ax, "path:m").get_xydata()
    # the chord from 3 m at +-60 (or +-120) degrees: 1.5 m ahead (or behind)
    assert path[:, 1] == pytest.approx(np.full(len(path), 1.5 * mid_y), abs=1e-6)
    assert path[0][0] < 0 < path[-1][0]  # from the left to the right
    assert any(a.arrow_patch is not None for a in ax.texts if hasattr(a, "arrow_patch"))
    x, y = _artist(ax, "closest:m").get_xydata()[0]
    assert x == pytest.approx(0.0, abs=0.1) and y == pytest.approx(1.5 * mid_y)


def test_a_far_pass_by_is_drawn_as_its_line_in_view_with_its_closest_point():
    side = float(np.degrees(np.arctan2(90.0, 25.0)))
    moving = ("train", 0.0, 8.0, {"azimuth": side, "distance": float(np.hypot(25.0, 90.0))},
              {"trajectory": [{"time": 4.0, "position": {"azimuth": 0.0, "distance": 25.0}},
                              {"time": 8.0, "position": {"azimuth": -side, "distance": float(np.hypot(25.0, 90.0))}}]})
    ax = _axes(scene_figure(_scene([moving])), "map")
    path = _artist(ax, "path:train").get_xydata()
    limit = ax.get_xlim()[1]
    assert limit > 25.0 and path[:, 1] == pytest.approx(np.full(len(path), 25.0), abs=1e-6)  # a straight line 25 m ahead
    assert path[0][0] < -0.8 * limit and path[-1][0] > 0.8 * limit
    assert tuple(_artist(ax, "closest:train").get_xydata()[0]) == pytest.approx((0.0, 25.0), abs=0.5)
    beside = _axes(scene_figure(_scene([moving, _static("dog", -90.0, distance=2.0)])), "map")  # the train off scale
    pulled = _artist(beside, "path:train").get_xydata()
    assert pulled[:, 1] == pytest.approx(np.full(len(pulled), pulled[0, 1]), abs=1e-6) and pulled[0, 0] < 0 < pulled[-1, 0]


@pytest.mark.slow
def test_rendered_result_adds_waveform_louder_on_the_near_ear_and_spectrogram_to_nyquist(tmp_path):
    scene = _scene([_static("bee", 90, distance=1.0, duration=1.0)])
    result = cascade.render_scene(scene, generator="procedural", sample_rate=16000, cache=False)
    fig = result.plot(tmp_path / "result.png")
    assert imread(tmp_path / "result.png").shape[:2] == (800, 1300)
    waveform = _axes(fig, "waveform")
    left = _artist(waveform, "waveform:left").get_data().values
    right = _artist(waveform, "waveform:right").get_data().values
    assert left.max() > 0 > right.min() and left.sum() > 1.4 * -right.sum()  # a source at +90° is louder in the left ear (> 3 dB)
    spectrogram = _artist(_axes(fig, "spectrogram"), "spectrogram")
    assert spectrogram.get_extent()[3] == pytest.approx(8.0)  # kHz, half of 16 kHz
    assert _axes(fig, "timeline").get_xlim()[1] >= result.duration - 1e-9


@pytest.mark.slow
def test_cli_plot_writes_a_png_and_draws_a_given_binaural_file(tmp_path, capsys):
    scene_file = tmp_path / "scene.json"
    scene_file.write_text(_scene([_static("a", 45)]).to_json())
    assert main(["plot", str(scene_file), "-o", str(tmp_path / "map.png")]) == 0
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert imread(tmp_path / "map.png").shape[:2] == (560, 1300)
    sf.write(tmp_path / "out.wav", np.zeros((8000, 2), dtype=np.float32), 16000)
    assert main(["plot", str(scene_file), "--audio", str(tmp_path / "out.wav"), "-o", str(tmp_path / "with_audio.png")]) == 0
    assert imread(tmp_path / "with_audio.png").shape[:2] == (800, 1300)
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("make_args, words", [
    (lambda p: ["plot", str(p / "nope.json")], "nope.json"),
    (lambda p: ["plot", str(p / "scene.json"), "--audio", str(p / "foa.wav")], "binaural"),
    (lambda p: ["plot", str(p / "scene.json"), "--audio", str(p / "scene.json")], "cannot read audio"),
])
def test_plot_user_errors_are_one_line_with_exit_2(tmp_path, capsys, make_args, words):
    (tmp_path / "scene.json").write_text(json.dumps({"events": [{"id": "a", "description": "x", "duration": 1}]}))
    sf.write(tmp_path / "foa.wav", np.zeros((100, 4), dtype=np.float32), 16000)
    assert main([*make_args(tmp_path), "-o", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cascade: error:") and "\n" not in err and words in err
    assert not (tmp_path / "o.png").exists()


def test_the_legend_covers_no_source_label():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    # five sources behind and beside the listener: their labels fill the lower half of the map, where the legend once sat
    scene = Scene.from_dict({"events": [{"id": f"s{i}", "description": "a dog barks", "duration": 1,
                                         "position": {"azimuth": az, "elevation": el, "distance": d}}
                                        for i, (az, el, d) in enumerate([(135, 0, 3), (120, -30, 2.5), (150, 20, 2.8), (-135, 0, 3), (0, 0, 1)])]})
    fig = scene_figure(scene)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    legends = [*fig.legends, *(a.get_legend() for a in fig.axes if a.get_legend() is not None)]
    labels = [t for t in _axes(fig, "map").texts if t.get_text().startswith("s")]
    assert len(legends) == 1 and len(labels) == 5
    box = legends[0].get_window_extent(renderer)
    assert [t.get_text().split()[0] for t in labels if t.get_window_extent(renderer).overlaps(box)] == []
