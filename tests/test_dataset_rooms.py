"""Rooms drawn as real rooms are: RT60 around DIN 18041's value for the volume, Sabine's DRR, and the DRR figures of a summary."""

import math

import numpy as np
import pytest

from cascade.dataset.config import parse_config
from cascade.dataset.rooms import critical_distance, drr_db, median_rt60
from cascade.dataset.sampler import sample_scene
from cascade.dataset.summary import Summary


def test_median_rt60_is_din_18041_a2():
    # T = 0.37 lg V - 0.14 s: 100 m³ -> 0.60 s, 1000 m³ -> 0.97 s
    assert median_rt60(100.0) == pytest.approx(0.60)
    assert median_rt60(1000.0) == pytest.approx(0.97)
    assert median_rt60(1.0) == pytest.approx(0.1)  # never below 0.1 s


def test_sabine_critical_distance_and_drr():
    # 150 m³ at 0.6 s: r_c = 0.057 sqrt(250) = 0.90 m; a source at 2 m is 20 lg(0.90 / 2) = -6.9 dB
    assert critical_distance(150.0, 0.6) == pytest.approx(0.901, abs=1e-3)
    assert drr_db(150.0, 0.6, 2.0) == pytest.approx(-6.93, abs=0.01)
    assert drr_db(150.0, 0.6, critical_distance(150.0, 0.6)) == pytest.approx(0.0, abs=1e-9)


def _rooms(config, n):
    drawn = [sample_scene(config, i).scene.room for i in range(n)]
    return [(math.prod(r.dimensions), r.rt60) for r in drawn if r is not None]


def test_rt60_follows_the_volume():
    config = parse_config({"rooms": {"anechoic": 0.0, "x": {"min": 3, "max": 12}, "y": {"min": 3, "max": 12}, "rt60": {"min": 0.05, "max": 5}}})
    rooms = _rooms(config, 600)
    small = [(v, t) for v, t in rooms if v < 80]
    large = [(v, t) for v, t in rooms if v > 300]
    assert len(small) > 30 and len(large) > 30
    # each group's median RT60 near DIN 18041 A2 at its median volume, the large rooms' longer
    for group in (small, large):
        assert np.median([t for _, t in group]) == pytest.approx(median_rt60(float(np.median([v for v, _ in group]))), rel=0.12)
    assert np.median([t for _, t in large]) > 1.3 * np.median([t for _, t in small])
    # the spread of ln T around the volume's median near the configured 0.25
    ratios = [math.log(t / median_rt60(v)) for v, t in rooms]
    assert np.std(ratios) == pytest.approx(0.25, rel=0.15)
    uniform = _rooms(parse_config({"rooms": {"anechoic": 0.0, "rt60_model": "uniform"}}), 300)
    assert min(t for _, t in uniform) < 0.3 and max(t for _, t in uniform) > 1.1  # the old draw, 0.2-1.2 s whatever the size
    assert abs(np.corrcoef(np.log([v for v, _ in uniform]), [t for _, t in uniform])[0, 1]) < 0.2


def test_rt60_stays_in_its_bounds():
    config = parse_config({"rooms": {"anechoic": 0.0, "rt60": {"min": 0.4, "max": 0.5}}})
    assert all(0.4 <= t <= 0.5 for _, t in _rooms(config, 200))


def test_summary_reports_the_drr_distribution():
    summary = Summary(parse_config({}))
    values = [-12.0, -6.5, -3.2, -1.0, 0.5, 4.0, None]  # the last one in the free field
    for drr in values:
        summary.add({"anechoic": drr is None, "rt60": 0.5, "events": [{"class": "dog", "moving": False, "azimuth": 0.0, "elevation": 0.0,
                                                                       "distance": 1.0, "drr_db": drr}]})
    figures = summary.to_dict()["drr"]
    assert figures["events"] == 6 and sum(figures["counts"]) == 6
    assert figures["share_below_0db"] == pytest.approx(4 / 6)
    assert -3.2 - 1 <= figures["median_db"] <= -1.0 + 1  # between the 3rd and 4th value, within a 1 dB bin
    assert "median" in summary.lines()[-1] and "67 % of events below 0 dB" in summary.lines()[-1]
    summary.figure()  # draws the DRR panel
