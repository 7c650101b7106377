"""One source in a space: the direct sound, a room's reflections and tail, in binaural and AmbiX.

Numbers and arrays in, arrays out: a renderer, a path and an optional shoebox room, never a scene.
"""

from __future__ import annotations

import numpy as np

from cascade.seeds import stream
from renderers import Renderer, add_padded, foa, room
from renderers.path import SourcePath


def spatialise(mono: np.ndarray, sample_rate: int, path: SourcePath, renderer: Renderer,
               shoebox: tuple[tuple[float, float, float], float] | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(binaural (2, n), AmbiX (4, n)) float32 of `mono` along `path`, in `shoebox` (dimensions m, RT60 s) when given.

    `seed` drives the room's late-reverberation noise, through its own random stream.
    """
    sources = [(path, 1.0)]
    if shoebox is not None:
        sources += room.image_paths(shoebox[0], shoebox[1], path)
    binaural = renderer.render_many(mono, sample_rate, sources)
    ambix = add_padded([gain * foa.encode(mono, sample_rate, p, renderer.reference_distance) for p, gain in sources])
    if shoebox is not None:
        tail_binaural, tail_foa = room.late_reverb(mono, sample_rate, shoebox[0], shoebox[1], stream(seed, "room-tail"),
                                                   renderer.reference_distance, renderer.hrirs)
        binaural, ambix = add_padded([binaural, tail_binaural]), add_padded([ambix, tail_foa])
    return binaural, ambix
