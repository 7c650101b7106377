"""Named wall materials: random-incidence energy absorption coefficients per octave band.

Bands 125, 250, 500, 1000, 2000, 4000 Hz; higher bands take the 4 kHz value. Typical published values
(as tabulated in Vorländer, Auralization, 2008, appendix A); a real surface varies by mounting and make.
"""

from __future__ import annotations

MATERIALS: dict[str, tuple[float, float, float, float, float, float]] = {
    "concrete": (0.01, 0.01, 0.02, 0.02, 0.02, 0.05),
    "brick": (0.01, 0.02, 0.02, 0.03, 0.03, 0.04),
    "plaster": (0.02, 0.02, 0.03, 0.04, 0.05, 0.05),
    "plasterboard": (0.15, 0.10, 0.06, 0.04, 0.04, 0.05),
    "tiles": (0.01, 0.01, 0.01, 0.02, 0.02, 0.02),
    "marble": (0.01, 0.01, 0.01, 0.02, 0.02, 0.02),
    "glass": (0.10, 0.05, 0.04, 0.03, 0.03, 0.03),
    "wood_panel": (0.18, 0.12, 0.10, 0.09, 0.08, 0.07),
    "wood_floor": (0.10, 0.07, 0.06, 0.06, 0.06, 0.06),
    "linoleum": (0.02, 0.03, 0.03, 0.03, 0.03, 0.02),
    "carpet": (0.10, 0.40, 0.62, 0.70, 0.63, 0.88),
    "curtains": (0.05, 0.12, 0.35, 0.45, 0.38, 0.36),
    "acoustic_ceiling": (0.49, 0.53, 0.53, 0.75, 0.92, 0.99),
    "absorber_panel": (0.22, 0.60, 0.92, 0.90, 0.88, 0.88),
    "audience": (0.16, 0.29, 0.55, 0.80, 0.92, 0.90),
    "upholstered_seats": (0.70, 0.76, 0.81, 0.84, 0.84, 0.81),
}

SURFACES = ("back", "front", "right", "left", "floor", "ceiling")  # walls at x = 0, x = depth, y = 0, y = width, z = 0, z = height
