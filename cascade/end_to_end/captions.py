"""Spatial captions in words: 'a dog barks behind me to the left, far away, in a large hall'.

The descriptive model is trained on such captions and, for a scene, conditioned on the caption of each
event written from its position and the scene's room by the same function.
"""

from __future__ import annotations

SECTORS = (  # (azimuth centre in degrees, +90 = left; words)
    (0.0, "in front of me"),
    (45.0, "in front of me to the left"),
    (90.0, "to my left"),
    (135.0, "behind me to the left"),
    (180.0, "behind me"),
    (-135.0, "behind me to the right"),
    (-90.0, "to my right"),
    (-45.0, "in front of me to the right"),
)


def direction_words(azimuth: float, elevation: float) -> str:
    """The nearest of eight horizontal directions, with 'above' / 'below' beyond ±30° of elevation."""
    if elevation > 60.0:
        return "above me"
    if elevation < -60.0:
        return "below me"
    words = min(SECTORS, key=lambda s: abs((azimuth - s[0] + 180.0) % 360.0 - 180.0))[1]
    if elevation > 30.0:
        return f"{words}, up high"
    if elevation < -30.0:
        return f"{words}, down low"
    return words


def distance_words(distance: float) -> str:
    """'right next to me' (< 1 m), 'close by' (< 3 m), 'a few metres away' (< 7 m), else 'far away'."""
    if distance < 1.0:
        return "right next to me"
    if distance < 3.0:
        return "close by"
    if distance < 7.0:
        return "a few metres away"
    return "far away"


def room_words(volume: float | None, rt60: float | None) -> str:
    """'' outdoors (no room); else the room's size class by volume (m³), 'reverberant' above 1.2 s RT60."""
    if volume is None:
        return ""
    size = "a small room" if volume < 60.0 else "a room" if volume < 400.0 else "a large hall"
    if rt60 is not None and rt60 > 1.2:
        size = "a reverberant " + size.removeprefix("a ").removeprefix("an ")
    return f", in {size}"


def spatial_caption(prompt: str, azimuth: float, elevation: float, distance: float,
                    volume: float | None = None, rt60: float | None = None) -> str:
    """The prompt with its direction, distance and room in words."""
    return f"{prompt} {direction_words(azimuth, elevation)}, {distance_words(distance)}{room_words(volume, rt60)}"
