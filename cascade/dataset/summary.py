"""What a dataset holds, counted from its item records in one pass with fixed-size histograms.

`summary.json`: items, events, class counts, events per item, moving and anechoic counts, ambience beds
per class, and the histograms behind `summary.png`: event start directions (azimuth x elevation, 10°
bins), source distances, room RT60s, and the direct-to-reverberant ratio of every event in a room
(Sabine's estimate, `cascade.dataset.rooms`; 1 dB bins, the ends holding everything beyond), with its
median, quartiles and share below 0 dB read from that histogram.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from cascade.dataset.config import DatasetConfig

AZIMUTH_EDGES = np.linspace(-180.0, 180.0, 37)
ELEVATION_EDGES = np.linspace(-90.0, 90.0, 19)
DISTANCE_BINS = 40
RT60_BINS = 30
DRR_EDGES = np.linspace(-30.0, 30.0, 61)  # dB


def quantile(counts: np.ndarray, edges: np.ndarray, q: float) -> float:
    """The q-quantile of histogrammed values, linear within its bin (nan for an empty histogram)."""
    total = counts.sum()
    if total == 0:
        return float("nan")
    cumulative = np.concatenate([[0.0], np.cumsum(counts)]) / total
    return float(np.interp(q, cumulative, edges))


class Summary:
    """Running counts over item records (each a metadata.jsonl line as a dict); memory independent of their number."""

    def __init__(self, config: DatasetConfig) -> None:
        self.classes: Counter[str] = Counter({name: 0 for name in config.sounds.classes})
        self.events_per_item: Counter[int] = Counter()
        self.items = self.events = self.moving = self.anechoic = 0
        self.directions = np.zeros((AZIMUTH_EDGES.size - 1, ELEVATION_EDGES.size - 1), dtype=np.int64)
        self.distance_edges = np.linspace(0.0, config.distance.max, DISTANCE_BINS + 1)
        self.distances = np.zeros(DISTANCE_BINS, dtype=np.int64)
        self.rt60_edges = np.linspace(0.0, config.rooms.rt60.max, RT60_BINS + 1)
        self.rt60s = np.zeros(RT60_BINS, dtype=np.int64)
        self.drrs = np.zeros(DRR_EDGES.size - 1, dtype=np.int64)
        self.beds: Counter[str] = Counter()

    def add(self, record: dict[str, Any]) -> None:
        events = record["events"]
        self.items += 1
        self.events += len(events)
        self.events_per_item[len(events)] += 1
        if record["anechoic"]:
            self.anechoic += 1
        else:
            self.rt60s += np.histogram([record["rt60"]], self.rt60_edges)[0]
        if record.get("bed"):
            self.beds[record["bed"]["class"]] += 1
        for event in events:
            if event.get("drr_db") is not None:
                self.drrs[int(np.clip(np.searchsorted(DRR_EDGES, event["drr_db"], side="right") - 1, 0, self.drrs.size - 1))] += 1
            self.classes[event["class"]] += 1
            self.moving += bool(event["moving"])
            self.directions += np.histogram2d([event["azimuth"]], [event["elevation"]], (AZIMUTH_EDGES, ELEVATION_EDGES))[0].astype(np.int64)
            self.distances += np.histogram([event["distance"]], self.distance_edges)[0]

    def to_dict(self) -> dict[str, Any]:
        return {"items": self.items, "events": self.events, "moving_events": self.moving, "anechoic_items": self.anechoic,
                "events_per_item": {str(k): v for k, v in sorted(self.events_per_item.items())}, "class_counts": dict(self.classes),
                "direction_histogram": {"azimuth_edges": AZIMUTH_EDGES.tolist(), "elevation_edges": ELEVATION_EDGES.tolist(),
                                        "counts": self.directions.tolist()},
                "distance_histogram": {"edges": self.distance_edges.tolist(), "counts": self.distances.tolist()},
                "rt60_histogram": {"edges": self.rt60_edges.tolist(), "counts": self.rt60s.tolist()},
                "bed_counts": dict(self.beds), "drr": self.drr()}

    def drr(self) -> dict[str, Any]:
        """The DRR histogram of events in rooms and what it says: median, quartiles, share below 0 dB (None without rooms), and
        the medians of RT60 and of source distance (all items; from their histograms)."""
        events = int(self.drrs.sum())
        if not events:
            return {"events": 0, "edges": DRR_EDGES.tolist(), "counts": self.drrs.tolist()}
        below = float(self.drrs[: int(np.searchsorted(DRR_EDGES, 0.0))].sum() / events)
        return {"events": events, "median_db": quantile(self.drrs, DRR_EDGES, 0.5),
                "quartiles_db": [quantile(self.drrs, DRR_EDGES, 0.25), quantile(self.drrs, DRR_EDGES, 0.75)], "share_below_0db": below,
                "rt60_median_s": quantile(self.rt60s, self.rt60_edges, 0.5), "distance_median_m": quantile(self.distances, self.distance_edges, 0.5),
                "edges": DRR_EDGES.tolist(), "counts": self.drrs.tolist(),
                "estimate": "Sabine: 20 lg(r_c / r), r_c = 0.057 sqrt(V / RT60) m, omnidirectional source"}

    def lines(self) -> list[str]:
        """A few lines for the terminal."""
        top = ", ".join(f"{name} {count}" for name, count in self.classes.most_common(6))
        lines = [f"{self.items} items, {self.events} events ({self.moving} moving), {self.anechoic} items without a room, "
                 f"{sum(self.beds.values())} with an ambience bed", f"most frequent classes: {top}"]
        drr = self.drr()
        if drr["events"]:
            lines.append(f"direct-to-reverberant ratio in rooms: median {drr['median_db']:.1f} dB, {100 * drr['share_below_0db']:.0f} % "
                         "of events below 0 dB")
        return lines

    def figure(self) -> Any:
        """Class counts, direction coverage (azimuth x elevation), distances and RT60s as one matplotlib Figure."""
        import matplotlib as mpl
        from matplotlib.figure import Figure

        from cascade.plot import STYLE

        with mpl.rc_context(STYLE):
            fig = Figure(figsize=(13.0, 12.0), layout="constrained")
            grid = fig.add_gridspec(3, 3, height_ratios=(1.0, 1.0, 1.0))
            classes = fig.add_subplot(grid[:, 0], label="classes")
            names = list(self.classes)
            classes.barh(range(len(names)), [self.classes[n] for n in names], color="tab:blue")
            classes.set_yticks(range(len(names)), names, fontsize=7 if len(names) > 30 else 9)
            classes.invert_yaxis()
            classes.set_xlabel("events")
            classes.set_title("class counts")
            directions = fig.add_subplot(grid[0, 1:], label="directions")
            image = directions.pcolormesh(AZIMUTH_EDGES, ELEVATION_EDGES, self.directions.T, cmap="viridis")
            directions.set_xlim(180, -180)
            directions.set_xticks(np.arange(-180, 181, 45))
            directions.set_xlabel("azimuth (°, +90 = left; left of the picture is the listener's left)")
            directions.set_ylabel("elevation (°)")
            directions.set_title("direction coverage (event start positions)")
            fig.colorbar(image, ax=directions, label="events")
            distance = fig.add_subplot(grid[1, 1], label="distance")
            distance.stairs(self.distances, self.distance_edges, fill=True, color="tab:orange")
            distance.set_xlabel("distance (m)")
            distance.set_ylabel("events")
            distance.set_title("source distance")
            rt60 = fig.add_subplot(grid[1, 2], label="rt60")
            rt60.stairs(self.rt60s, self.rt60_edges, fill=True, color="tab:green")
            rt60.set_xlabel("RT60 (s)")
            rt60.set_ylabel("items")
            rt60.set_title(f"room RT60 ({self.anechoic} of {self.items} items without a room)")
            drr, figures = fig.add_subplot(grid[2, 1:], label="drr"), self.drr()
            drr.stairs(self.drrs, DRR_EDGES, fill=True, color="tab:purple")
            drr.axvline(0.0, color="black", linewidth=0.8)
            drr.set_xlabel("direct-to-reverberant ratio (dB, Sabine estimate; the end bins hold everything beyond)")
            drr.set_ylabel("events in rooms")
            drr.set_title(f"DRR: median {figures['median_db']:.1f} dB, {100 * figures['share_below_0db']:.0f} % below 0 dB"
                          if figures["events"] else "DRR: no event in a room")
            fig.suptitle(f"{self.items} items, {self.events} events", fontsize=11)
        return fig

    def save(self, root: Path) -> None:
        """Write summary.json and summary.png into the dataset folder."""
        from cascade.files import write_text
        from cascade.plot import save_figure

        write_text(root / "summary.json", json.dumps(self.to_dict(), indent=1) + "\n")
        save_figure(self.figure(), root / "summary.png")
