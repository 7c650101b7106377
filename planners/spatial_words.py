"""The spatial lexicon: numbers, directions, elevation, distance, motion and rooms in English text.

Each parser reads a clause through a `Masked` view: a phrase it understands is blanked out, so the
next parser cannot read it twice and what is left is the sound's own description. Conventions as
in cascade/scene.py: azimuth degrees, 0 ahead, +90 left, -90 right, 180 behind; elevation +90 up;
distance in metres. All patterns compile once, at import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from cascade.geometry import unit_vectors, wrap_azimuth
from cascade.limits import MAX_DISTANCE
from cascade.scene import Room

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_WORD_VALUE = {w: float(i) for i, w in enumerate(_UNITS)} | {w: 20.0 + 10 * i for i, w in enumerate(_TENS)}


def _words(words: list[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_BELOW_100 = rf"(?:(?:{_words(_TENS)})(?:[- ](?:{_words(_UNITS[1:10])}))?|(?:{_words(_UNITS)}))"
_WORD_NUMBER = (rf"(?:(?:(?:a|one|two|three)\s+hundred(?:(?:\s+and)?\s+{_BELOW_100})?|{_BELOW_100})(?:\s+and\s+a\s+half)?"
                rf"|half\s+an?|a\s+half)")
NUMBER = rf"(?:(?:minus\s+|[-+\u2212])?(?:\d+(?:\.\d+)?|\b{_WORD_NUMBER}\b))"
"""A number in digits or words: '-60', '2.5', 'forty-five', 'one and a half', 'minus thirty'."""

QUANTITY = rf"(?:{NUMBER}|\ba\s+couple\s+of\b|\ba\s+few\b|\bseveral\b|\ban?\b)"
"""A number, or a vague count read as one: 'a' 1, 'a couple of' 2, 'a few' 3, 'several' 4."""

_VAGUE = {"a": 1.0, "an": 1.0, "a couple of": 2.0, "a few": 3.0, "several": 4.0}


def parse_number(text: str) -> float:
    """The value of a `NUMBER` or `QUANTITY` match."""
    words = " ".join(text.lower().replace("\u2212", "-").split())
    if words in _VAGUE:
        return _VAGUE[words]
    sign = -1.0 if words.startswith(("-", "minus")) else 1.0
    words = words.removeprefix("minus").lstrip("+- ")
    if words[:1].isdigit():
        return sign * float(words)
    if words.startswith("half"):
        return 0.5
    value = 0.5 if words.endswith("and a half") else 0.0
    words = words.removesuffix("and a half").replace("-", " ")
    head, _, tail = words.partition("hundred")
    if tail or words.rstrip().endswith("hundred"):
        value += 100.0 * (1.0 if head.strip() in ("a", "") else _WORD_VALUE[head.strip()])
        words = tail
    value += sum(_WORD_VALUE.get(w, 0.0) for w in words.split())
    return sign * value


class Masked:
    """A clause whose understood phrases are blanked out one by one; `rest` is what is left."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.rest = text

    def take(self, pattern: re.Pattern[str], *groups: str | int) -> re.Match[str] | None:
        """The first match of `pattern` in what is left, its `groups` (default: all of it) blanked out; None if none."""
        match = pattern.search(self.rest)
        if match is not None:
            for group in groups or (0,):
                start, end = match.span(group)
                if start >= 0:
                    self.rest = self.rest[:start] + " " * (end - start) + self.rest[end:]
        return match

    def take_all(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        """Every match of `pattern` in what is left, all blanked out."""
        matches = list(pattern.finditer(self.rest))
        for match in matches:
            start, end = match.span()
            self.rest = self.rest[:start] + " " * (end - start) + self.rest[end:]
        return matches


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# ---------------------------------------------------------------- directions (azimuth)

_ME = r"(?:me|us|you|the\s+listener|my\s+head|the\s+camera)"
_DEG = r"\s*(?:°|º|degrees?|degs?\b|deg\b)"
_DIR_WORDS = {
    "front": 0.0, "ahead": 0.0, "forward": 0.0, "in front": 0.0, "front left": 45.0, "left front": 45.0,
    "front right": -45.0, "right front": -45.0, "left": 90.0, "right": -90.0, "back": 180.0, "behind": 180.0,
    "rear": 180.0, "back left": 135.0, "left back": 135.0, "rear left": 135.0, "left rear": 135.0,
    "back right": -135.0, "right back": -135.0, "rear right": -135.0, "right rear": -135.0,
}
_DIR = (r"(?:the\s+|my\s+|your\s+)?(?:(?:far|hard|extreme)\s+)?(?:(?:front|back|rear|left|right)[- ](?:left|right|front|back|rear)|in\s+front"
        r"|front|ahead|forward|behind|back|rear|left|right)(?:[- ]hand)?(?:[- ]side)?(?:\s+ear)?(?:\s+of\s+(?:" + _ME + r"|the\s+[a-z]+)|\s+"
        + _ME + r")?")
_DIR_CORE = re.compile(r"in\s+front|front|ahead|forward|behind|back|rear|left|right")


def direction_azimuth(phrase: str) -> float:
    """Azimuth (degrees) of a `_DIR` phrase such as 'the front-left', 'behind me' or 'my left-hand side'."""
    return _DIR_WORDS[" ".join(" ".join(_DIR_CORE.findall(phrase.lower())).split())]


_AS_DIRECTION = "".join(rf"(?<!\b{w}\s)" for w in ("to", "my", "the", "your", "from", "on", "at", "far", "hard", "toward", "towards", "and", "or"))
_INTENSIFIER = _rx(rf"(?:\b(?:just|directly|straight|dead)|{_AS_DIRECTION}(?<!-)\bright)\s+(?=next|beside|by\b|behind|above|below|beneath|under"
                   r"|over|in\s+front|ahead|at\s+my|in\s+my|here\b|there\b|now\b|away\b|up\b|into\b|near\b|close\b)|\ball\s+right\b"
                   r"|\bright\s+now\b|\bright\s+away\b")
"""'right'/'just' ... before a place word ('right behind me'), unless 'right' is itself the direction ('to my right behind ...')."""
_DOA = _rx(rf"\b(?:(?:at\s+|with\s+)?(?:an?\s+|the\s+)?(?:DOA|direction\s+of\s+arrival)|(?:at\s+)?(?:an?\s+)?azimuth(?:\s+angle)?)"
           rf"\s*(?:of|is|at|=|:)?\s*(?P<n>{NUMBER})(?:{_DEG})?")
_SIDE_DEGREES = _rx(rf"(?:\b(?:at|about|around)\s+)?(?:an?\s+angle\s+of\s+)?(?P<n>{NUMBER}){_DEG}\s+(?:off\s+)?(?:(?:to|on|toward|towards)\s+)?"
                    rf"(?:the\s+|my\s+|your\s+)?(?P<side>left|right)(?:\s+of\s+(?:center|centre|front|{_ME}))?")
_DEGREES_SIDE = _rx(rf"(?:\b(?:to|on)\s+(?:the\s+|my\s+|your\s+)?)?\b(?P<side>left|right)\s+(?:by\s+)?(?P<n>{NUMBER}){_DEG}")
_PLAIN_DEGREES = _rx(rf"(?:\b(?:at|about|around)\s+)?(?:an?\s+angle\s+of\s+)?(?P<n>{NUMBER}){_DEG}(?:\s+azimuth)?")
_CLOCK = _rx(rf"(?:\b(?:at|from|toward|towards|to|in|around)\s+)?(?:(?:the|my|your|a|an)\s+)?"
             rf"(?P<h>\d{{1,2}}|\b{_words(_UNITS[1:13])})\s*o\s*['’]?\s*clock(?:\s+(?:direction|position))?")
_SLIGHTLY = _rx(r"(?:,\s*)?\b(?:slightly|a\s+little|a\s+bit|somewhat|just)\s+(?:more\s+)?(?:(?:to|toward|towards|in)\s+)?(?:the\s+)?"
                r"(?P<dir>front|forward|ahead|back|rear|behind|left|right)\b(?:\s+" + _ME + r")?")
_FRONT = _rx(rf"(?:\b(?:from|to|at|on|toward|towards)\s+)?(?:\bin\s+front(?:\s+of\s+{_ME})?|\b(?:straight\s+|directly\s+|dead\s+)?ahead"
             rf"(?:\s+of\s+{_ME})?|\bthe\s+front\b(?!\s+(?:door|yard|garden|seat|porch|desk))|\bfront(?=[- ](?:left|right))|(?<=left[- ])front\b"
             rf"|(?<=right[- ])front\b|\bforward\b|\bbefore\s+{_ME})")
_BACK = _rx(rf"(?:\b(?:from|to|at|on|toward|towards|in)\s+)?(?:\bbehind(?:\s+{_ME}|\s+my\s+back)?|\b(?:the|my|your)\s+(?:back|rear)\b"
            rf"(?!\s+(?:door|yard|garden|seat|porch|of\s+the))|\brear\b|\bback(?=[- ](?:left|right))|(?<=left[- ])back\b"
            rf"|(?<=right[- ])back\b)")
_SIDE = _rx(rf"(?:\b(?:far|hard|way|extreme)\s+)?(?:\b(?:from|to|on|at|toward|towards|off\s+to)\s+)?(?:\b(?:the|my|your)\s+)?(?:\b(?:far|hard|extreme)[\s-]+)?\b(?P<side>left|right)\b"
            rf"(?:[- ]hand)?(?:\s+side)?(?:\s+of\s+{_ME})?")


@dataclass(frozen=True)
class _Azimuth:
    value: float | None
    side: float | None  # a bare left/right cue (degrees), used by pass-bys


def _azimuth(m: Masked) -> _Azimuth:
    for pattern in (_DOA, _SIDE_DEGREES, _DEGREES_SIDE):
        match = m.take(pattern)
        if match:
            value = parse_number(match["n"])
            if "side" in match.groupdict():
                value = abs(value) * (1.0 if match["side"].lower() == "left" else -1.0)
            return _Azimuth(wrap_azimuth(value), None)
    match = m.take(_CLOCK)
    if match:
        hour = match["h"].lower()
        hour_value = int(hour) if hour.isdigit() else _UNITS.index(hour)
        if 1 <= hour_value <= 12:
            return _Azimuth(wrap_azimuth(-30.0 * hour_value), None)
    match = m.take(_PLAIN_DEGREES)
    if match:
        return _Azimuth(wrap_azimuth(parse_number(match["n"])), None)
    return _compass(m)


def _compass(m: Masked) -> _Azimuth:
    nudge = m.take(_SLIGHTLY)
    front, back = m.take(_FRONT), m.take(_BACK)
    side = m.take(_SIDE)
    lateral = None if side is None else (90.0 if side["side"].lower() == "left" else -90.0)
    base: float | None
    if front and lateral is not None:
        base = lateral / 2
    elif back and lateral is not None:
        base = 180.0 - lateral / 2 if lateral > 0 else -180.0 - lateral / 2
    elif front or back:
        base = 0.0 if front else 180.0
    else:
        base = lateral
    if nudge is None:
        return _Azimuth(base, lateral)
    toward: float = direction_azimuth(nudge["dir"])
    if base is None:
        return _Azimuth(toward if toward in (0.0, 180.0) else toward / 4.5, None)
    gap = wrap_azimuth(toward - base)
    step = max(-20.0, min(20.0, gap)) if gap != 180.0 else 0.0
    return _Azimuth(wrap_azimuth(base + step), lateral)


# ---------------------------------------------------------------- elevation

_ELEVATION_DEGREES = _rx(rf"\b(?:at\s+)?(?:an?\s+)?elevation(?:\s+angle)?\s*(?:of|is|at|=|:)?\s*(?P<n>{NUMBER})(?:{_DEG})?"
                         rf"|(?:\belevated\s+(?:by\s+)?)(?P<e>{NUMBER}){_DEG}"
                         rf"|(?:\b(?:at|about|around)\s+)?(?P<m>{NUMBER}){_DEG}\s+(?:of\s+)?(?P<dir>elevation|elevated|up(?:wards?)?|upward|above"
                         rf"(?:\s+(?:the\s+horizon|ear\s+level|eye\s+level))?|high|down(?:wards?)?|downward|below(?:\s+(?:the\s+horizon|ear\s+level|eye\s+level))?)")
_ELEVATION_WORDS: list[tuple[re.Pattern[str], float]] = [
    (_rx(r"\b(?:slightly|a\s+little|a\s+bit|somewhat)\s+(?:above|up|higher|raised|elevated)(?:\s+" + _ME + r")?"), 15.0),
    (_rx(r"\b(?:slightly|a\s+little|a\s+bit|somewhat)\s+(?:below|down|lower)(?:\s+" + _ME + r")?"), -15.0),
    (_rx(r"\bat\s+(?:ear|head|eye)\s+(?:level|height)\b"), 0.0),
    (_rx(r"(?:\b(?:directly|straight|right|just)\s+)?\boverhead\b|\b(?:directly|straight)\s+above(?:\s+" + _ME + r")?"
         r"|\b(?:above|over)\s+(?:my|your|our)\s+heads?\b"), 90.0),
    (_rx(r"(?:\b(?:from|in)\s+)?\b(?:on|from)\s+the\s+(?:ceiling|roof)\b|\bin\s+the\s+attic\b|\bupstairs\b|(?:\b(?:up|high)\s+)?\bin\s+(?:the|a)\s+"
         r"(?:sky|air|trees?|treetops?|branches|canopy)\b|\b(?:high|way|up)\s+above(?:\s+" + _ME + r")?|\bhigh\s+up\b|\bup\s+high\b"
         r"|\b(?:from\s+)?above(?:\s+" + _ME + r"|\s+(?:the|a|my)\s+[a-z]+)?|\belevated\b"), 45.0),
    (_rx(r"\bat\s+(?:my|your|our)\s+feet\b|\b(?:on|from|across)\s+the\s+(?:floor|ground)\b|\b(?:near|at)\s+(?:the\s+)?floor(?:\s+level)?\b"
         r"|\blow\s+to\s+the\s+ground\b|\bdown\s+low\b|\blow\s+down\b"), -50.0),
    (_rx(r"\b(?:from\s+)?(?:below|beneath|underneath)(?:\s+" + _ME + r"|\s+(?:the|a|my)\s+[a-z]+)?|\bunder\s+(?:the|a|my)\s+[a-z]+"
         r"|\bdownstairs\b|\b(?:in|from)\s+the\s+(?:basement|cellar)\b|\bunderground\b"), -40.0),
]


def _elevation_degrees(m: Masked) -> float | None:
    match = m.take(_ELEVATION_DEGREES)
    if match is None:
        return None
    if match["n"] is not None or match["e"] is not None:
        return max(-90.0, min(90.0, parse_number(match["n"] or match["e"])))
    value = abs(parse_number(match["m"]))
    return max(-90.0, min(90.0, -value if match["dir"].lower().startswith(("down", "below")) else value))


def _elevation_words(m: Masked, has_azimuth: bool) -> float | None:
    """The first elevation phrase in priority order; every other one is blanked out too."""
    found = None
    for pattern, value in _ELEVATION_WORDS:
        if m.take_all(pattern) and found is None:
            found = 60.0 if value == 90.0 and has_azimuth else value
    return found


# ---------------------------------------------------------------- distance

_UNIT_METRES = {"m": 1.0, "meter": 1.0, "metre": 1.0, "ft": 0.3048, "foot": 0.3048, "feet": 0.3048, "yard": 0.9144, "km": 1000.0,
                "kilometer": 1000.0, "kilometre": 1000.0}
_METRES = _rx(rf"(?:\b(?:at|about|around|roughly|some|from)\s+)?(?:(?:a\s+)?distance\s+of\s+)?(?:about\s+|around\s+|roughly\s+)?"
              rf"(?P<n>{NUMBER}|\ba\b|\ba\s+few\b|\ba\s+couple\s+of\b|\bseveral\b)\s*(?P<u>m|meters?|metres?|ft|foot|feet|yards?|km|kilometers?"
              rf"|kilometres?)\b(?:\s+(?:away|off|distant))?(?:\s+(?:from|of)\s+{_ME})?")
_DISTANCE_WORDS: list[tuple[re.Pattern[str], float]] = [
    (_rx(r"\b(?:next\s+to|beside|by|at|in|near|into|close\s+to)\s+(?:my|your|the\s+listener's)\s+(?:(?P<side>left|right)\s+)?ears?\b"), 0.2),
    (_rx(rf"\b(?:next\s+to|beside|alongside)\s+{_ME}|\b(?:at|within)\s+arm'?s'?\s+(?:length|reach)\b"), 0.5),
    (_rx(rf"\b(?:very|really|extremely|super|quite)\s+(?:close|near)(?:\s+by|\s+to\s+{_ME})?\b|\bup\s+close\b|\bclose[- ]up\b"), 0.5),
    (_rx(rf"\bclose(?:\s+by|\s+to\s+{_ME})?\b(?!\s+to\s+the)|\bnearby\b|\bnear\s+(?:by|{_ME})\b|\bnear\b(?=\s*(?:[,.;]|$))|\bclose\s+at\s+hand\b"),
     0.9),
    (_rx(r"\bacross\s+the\s+(?:room|hall|street|road|yard|courtyard)\b|\bin\s+the\s+next\s+room\b|\bnext\s+door\b"
         r"|\bnot\s+(?:too\s+|very\s+)?far(?:\s+(?:away|off))?\b|\bsome\s+distance\s+away\b|\bat\s+a\s+moderate\s+distance\b"), 4.0),
    (_rx(rf"\b(?:a\s+few|a\s+couple\s+of|several|{NUMBER})\s+(?:steps|paces)\s+away\b"), 2.0),
    (_rx(r"\b(?:very|really|extremely)\s+far(?:\s+(?:away|off))?\b|\bmiles\s+away\b|\bon\s+the\s+horizon\b"
         r"|\bfar\s+off\s+in\s+the\s+distance\b|\bfar\s+in\s+the\s+distance\b"), 50.0),
    (_rx(rf"\b(?:quite\s+)?far(?![- ](?:left|right)\b)(?:\s+(?:away|off|out))?(?:\s+from\s+{_ME})?\b|\bway\s+(?:off|out)\b"
         r"|(?:\bsomewhere\s+)?(?:\b(?:off|out)\s+)?\bin\s+the\s+distance\b|\bdistant\b|\bfrom\s+afar\b"
         r"|\ba\s+long\s+way\s+(?:off|away)\b|\bdown\s+the\s+(?:street|road|hall|hallway|corridor|block|valley)\b"), 25.0),
]


HEAD_CLOSE = 0.5
"""Metres of a static sound 'right/just above my head': within arm's reach, as 'next to me'."""
_HEAD_CLOSE = _rx(r"\b(?:right|just|immediately)\s+(?=(?:above|over|on\s+top\s+of)\s+(?:my|your|our|the\s+listener's)\s+heads?\b)"
                  r"|\binches\s+(?=(?:above|over)\s+(?:my|your|our|the\s+listener's)\s+heads?\b)")


def _distance(m: Masked) -> tuple[float | None, float | None]:
    """Distance (m) and, for 'in my left ear', the azimuth the phrase implies."""
    match = m.take(_METRES)
    if match:
        unit = match["u"].lower()
        unit = unit if unit in _UNIT_METRES else unit[:-1]
        return max(0.1, min(MAX_DISTANCE, parse_number(match["n"]) * _UNIT_METRES[unit])), None
    for pattern, value in _DISTANCE_WORDS:
        match = m.take(pattern)
        if match:
            side = match.groupdict().get("side")
            return value, None if side is None else (90.0 if side.lower() == "left" else -90.0)
    return None, None


# ---------------------------------------------------------------- motion

APPROACH_FROM = 15.0
APPROACH_TO = 1.5


@dataclass(frozen=True)
class Waypoint:
    """Where a moving source is at one of its evenly spaced key times; None = the event's static value."""

    azimuth: float | None = None
    elevation: float | None = None
    distance: float | None = None


_FLY_VERB = r"(?:fl(?:y|ies|ying|ew|own)|soar(?:s|ing|ed)?|swoop(?:s|ing|ed)?|glid(?:e|es|ing|ed))"
_MOVE_VERB = (r"(?:mov(?:e|es|ing|ed)|go(?:es|ing)?|went|walk(?:s|ing|ed)?|run(?:s|ning)?|ran|driv(?:e|es|ing)|drove|pan(?:s|ning|ned)?"
              r"|travel(?:s|ing|ling|led|ed)?|head(?:s|ing|ed)?|shift(?:s|ing|ed)?|sweep(?:s|ing)?|swept|drift(?:s|ing|ed)?|pass(?:es|ing|ed)?"
              r"|roll(?:s|ing|ed)?|rid(?:e|es|ing)|rode|zoom(?:s|ing|ed)?|rush(?:es|ing|ed)?|speed(?:s|ing)?|sped|crawl(?:s|ing|ed)?"
              r"|whizz?(?:es|ing|ed)?|roar(?:s|ing|ed)?|cross(?:es|ing|ed)?|" + _FLY_VERB + ")")
_FROM_TO = _rx(rf"\b(?:(?:all\s+the\s+way\s+)?from\s+(?P<a>{_DIR}),?\s+(?:(?:all\s+the\s+way|over|across|round|around|back)\s+)*"
               rf"(?:to|towards?|into|until|till)\s+(?P<b>{_DIR})|(?P<a2>left|right|front|back)[- ]to[- ](?P<b2>left|right|front|back))\b")
_START_END = _rx(rf"(?P<start>\b(?:starts?|starting|begins?|beginning)\s+(?:off\s+|out\s+)?(?:on|at|from|in)\s+(?P<a>{_DIR}))\b.*?"
                 rf"(?P<end>\b(?:ends?|ending|finish(?:es|ing)?|arriv(?:es?|ing)|stops?|stopping|winds?\s+up)\s+(?:up\s+)?(?:on|at|in|to)\s+"
                 rf"(?P<b>{_DIR}))\b")
_TOWARD = _rx(rf"\b{_MOVE_VERB}\s+(?:over\s+|off\s+)?(?P<cue>(?:to|towards?|into)\s+(?P<b>{_DIR}))\b")
_OVERHEAD_PASS = _rx(rf"\b(?:{_MOVE_VERB})\s+(?P<cue>(?:right\s+|directly\s+|straight\s+|low\s+)?(?:overhead|over\s+(?:{_ME}|my\s+head|the\s+"
                     r"(?:house|roof|building)|head)))\b")
_CIRCLE = _rx(rf"\b(?:(?:circl(?:e|es|ing)|orbit(?:s|ing)?)\s+(?:{_ME}|the\s+room)|(?:all\s+)?a?round\s+(?:{_ME}|the\s+room)|in\s+(?:a\s+circle|circles)"
              rf"(?:\s+a?round\s+{_ME})?)")
_PASS_BY = _rx(r"\b(?:pass(?:es|ing|ed)?|driv(?:e|es|ing)|drove|go(?:es|ing)|went|rid(?:e|es|ing)|rode|zoom(?:s|ing|ed)?|whizz?(?:es|ing|ed)?"
               r"|rush(?:es|ing|ed)?|speed(?:s|ing)?|sped|fl(?:y|ies|ying|ew)|roar(?:s|ing|ed)?|walk(?:s|ing|ed)?|run(?:s|ning)?|ran)"
               r"\s+(?P<cue>by|past)\b")
_PASSES = _rx(r"\bpass(?:es|ing|ed)?\b(?P<cue>)(?!\s+(?:the|a|an|my|your|his|her|their|its|this|that|through|away|out|over|under|around|round|time)\b)")
"""A sound that passes with no object after the verb ('while a car passes', 'passes on the left'): a pass-by."""
_APPROACH = _rx(rf"\bapproach(?:es|ing|ed)?(?:\s+{_ME})?\b|\b(?:com(?:e|es|ing)|gets?|getting|mov(?:e|es|ing)|draws?|drawing|creep(?:s|ing)"
                r"|walk(?:s|ing)|driv(?:es|ing))\s+(?:closer|nearer)(?:\s+and\s+(?:closer|nearer))?(?:\s+to\s+" + _ME + r")?"
                r"|\bclos(?:es|ing)\s+in\b|\bdraws?\s+near\b"
                rf"|(?<=\s)(?<!next\s)(?<!close\s)(?<!near\s)(?:up\s+)?(?:to|towards?)\s+{_ME}\b")
_RECEDE = _rx(r"\brecede(?:s|d)?\b|\breceding\b|\b(?:fad(?:e|es|ing)|di(?:e|es)|dying)\s+(?:away|out)\b|\b(?:gets?|getting|mov(?:es|ing))\s+"
              r"(?:farther|further)\s+away\b|\b" + _MOVE_VERB + r"\s+(?P<cue>(?:off\s+)?(?:away(?:\s+from\s+" + _ME + r")?(?:\s+into\s+the\s+distance)?|into\s+the\s+distance))")


PASS_ANGLE = 75.0
"""Degrees off the closest point at which a pass-by starts and ends (the line runs tan 75° ≈ 3.7 closest distances each way)."""
CIRCLE_STEP = 30.0  # degrees between the waypoints of a circle (straight chords 3.4 % inside it at their middles)


@dataclass(frozen=True)
class Line:
    """A straight pass: closest to the listener at `near` (a unit vector, x front, y left, z up) times the closest-approach
    distance, coming from the direction `first` and leaving towards `last` (unit vectors along which it runs)."""

    near: tuple[float, float, float]
    first: tuple[float, float, float]
    last: tuple[float, float, float]


def _unit(azimuth: float, elevation: float = 0.0) -> tuple[float, float, float]:
    x, y, z = (float(round(v, 12)) for v in unit_vectors(azimuth, elevation))
    return x, y, z


def _pair_path(a: float, b: float, flying: bool) -> list[Waypoint] | Line:
    """From azimuth `a` to `b`: over the head for a flying source, a straight pass for opposite directions, else start, end and
    a midpoint where the straight chord would cut too close to the head."""
    gap = wrap_azimuth(b - a)
    if flying:
        return Line(_unit(0.0, 90.0), _unit(a), _unit(b))
    if abs(gap) <= 90.0:
        return [Waypoint(a), Waypoint(b)]
    if gap == 180.0:  # closest on the frontmost side of the line (left<->right in front; front<->back on the left)
        near = min(wrap_azimuth(a - 90.0), wrap_azimuth(a + 90.0), key=lambda side: (abs(side), -side))
        return Line(_unit(near), _unit(a), _unit(b))
    return [Waypoint(a), Waypoint(wrap_azimuth(a + gap / 2)), Waypoint(b)]


PathKind = Literal["pair", "pass", "circle", "toward", "radial"]
"""'pair': from one named direction to another; 'pass': a pass-by with no direction of its own; 'radial': approach or retreat."""


def _motion(m: Masked, flying_hint: bool) -> tuple[list[Waypoint] | Line | None, PathKind | None]:
    """Waypoints of a moving source or the line it passes along (None when static), and the kind of path."""
    over = m.take(_OVERHEAD_PASS, "cue")
    flying = over is not None
    match = m.take(_FROM_TO) or m.take(_START_END, "start", "end")
    if match:
        a, b = match["a"] or match["a2"], match["b"] or match["b2"]
        return _pair_path(direction_azimuth(a), direction_azimuth(b), flying or flying_hint), "pair"
    if flying:
        return _pair_path(0.0, 180.0, True), "pair"
    if m.take(_CIRCLE):
        return [Waypoint(float(az)) for az in wrap_azimuth(np.arange(0.0, 360.0 + CIRCLE_STEP / 2, CIRCLE_STEP))], "circle"
    match = m.take(_TOWARD, "cue")
    if match:
        return [Waypoint(), Waypoint(direction_azimuth(match["b"]))], "toward"
    if m.take(_APPROACH):
        return [Waypoint(distance=APPROACH_FROM), Waypoint(distance=APPROACH_TO)], "radial"
    match = m.take(_RECEDE, "cue")
    if match:
        return [Waypoint(distance=APPROACH_TO), Waypoint(distance=APPROACH_FROM)], "radial"
    if m.take(_PASS_BY, "cue") or m.take(_PASSES, "cue"):
        return _pair_path(90.0, -90.0, flying_hint), "pass"
    return None, None


# ---------------------------------------------------------------- the whole placement


@dataclass(frozen=True)
class Place:
    """What a clause says about where its sound is; None = the text does not say."""

    azimuth: float | None = None
    elevation: float | None = None
    distance: float | None = None
    path: tuple[Waypoint, ...] | None = None
    line: Line | None = None  # a straight pass; `distance` is then its closest approach


def parse_place(m: Masked, flying_hint: bool = False) -> Place:
    """Read (and blank out) every spatial phrase of a clause: motion, direction, elevation, distance."""
    head_close = m.take(_HEAD_CLOSE) is not None
    m.take_all(_INTENSIFIER)
    path, kind = _motion(m, flying_hint)
    distance, ear_side = _distance(m)
    if distance is None and head_close and path is None:
        distance = HEAD_CLOSE
    elevation = _elevation_degrees(m)
    azimuth = _azimuth(m)
    if elevation is None:
        elevation = _elevation_words(m, azimuth.value is not None)
    static = azimuth.value if azimuth.value is not None else ear_side
    if isinstance(path, Line):
        line = path
        if kind == "pass" and azimuth.side is not None:  # a pass-by on one side runs from front to back along that side
            line = Line(_unit(azimuth.side), _unit(0.0), _unit(180.0))
        elif kind == "pair" and line.near[2] == 0.0 and static is not None and _unit(static) not in (line.first, line.last):
            line = Line(_unit(static), line.first, line.last)  # 'from left to right behind me' passes behind
        return Place(None, elevation if line.near[2] == 0.0 else None, distance, None, line)
    if path is not None and kind == "radial":
        near = distance if distance is not None and distance <= 3.0 else APPROACH_TO
        far = distance if distance is not None and distance > 3.0 else APPROACH_FROM
        path = [Waypoint(distance=far if w.distance == APPROACH_FROM else near) for w in path]
        distance = None
    elif path is not None and kind == "pair" and len(path) == 3 and static is not None and static not in (path[0].azimuth, path[2].azimuth):
        path = [path[0], Waypoint(static), path[2]]  # 'from left to right behind me' goes round the back
    elif path is not None and kind == "toward":
        end = path[-1].azimuth
        toward = _pair_path(static if static is not None else 0.0, end if end is not None else 0.0, False)
        if isinstance(toward, Line):
            return Place(None, elevation, distance, None, toward)
        path = toward
    elif path is not None and path[0].azimuth is None:
        path = [Waypoint(static if static is not None else 0.0), *path[1:]]
    if path is not None and kind != "radial":
        static = path[0].azimuth
    return Place(static, elevation, distance, None if path is None else tuple(path))


# ---------------------------------------------------------------- rooms

_ROOM_NOUNS: dict[str, tuple[tuple[float, float, float], float]] = {
    "bathroom": ((3.0, 2.5, 2.5), 0.8), "shower": ((2.0, 1.5, 2.4), 0.7), "closet": ((1.8, 1.5, 2.4), 0.3),
    "bedroom": ((4.5, 3.5, 2.6), 0.4), "office": ((5.0, 4.0, 2.7), 0.45), "kitchen": ((5.0, 4.0, 2.6), 0.6),
    "living room": ((6.0, 4.5, 2.6), 0.5), "studio": ((5.0, 4.0, 3.0), 0.25), "classroom": ((9.0, 7.0, 3.2), 0.8),
    "room": ((5.0, 4.0, 2.7), 0.5), "corridor": ((20.0, 2.5, 3.0), 1.2), "hallway": ((12.0, 2.5, 2.8), 1.0),
    "stairwell": ((6.0, 4.0, 15.0), 2.0), "garage": ((7.0, 6.0, 3.0), 1.2), "parking garage": ((50.0, 30.0, 3.0), 2.2),
    "warehouse": ((50.0, 30.0, 10.0), 2.5), "gym": ((35.0, 20.0, 9.0), 2.0), "gymnasium": ((35.0, 20.0, 9.0), 2.0),
    "hall": ((30.0, 20.0, 12.0), 2.0), "concert hall": ((40.0, 25.0, 16.0), 2.2), "auditorium": ((35.0, 25.0, 12.0), 1.6),
    "church": ((35.0, 18.0, 15.0), 3.0), "chapel": ((15.0, 8.0, 8.0), 1.8), "cathedral": ((90.0, 35.0, 30.0), 5.0),
    "cave": ((30.0, 10.0, 8.0), 2.5), "tunnel": ((80.0, 6.0, 5.0), 3.0), "library": ((20.0, 15.0, 5.0), 1.0),
    "restaurant": ((15.0, 10.0, 3.5), 0.8), "cafe": ((10.0, 8.0, 3.2), 0.7), "car": ((2.5, 1.6, 1.5), 0.1),
    "elevator": ((2.0, 1.8, 2.5), 0.3), "basement": ((8.0, 6.0, 2.4), 0.9), "attic": ((8.0, 6.0, 2.2), 0.5),
    "theater": ((30.0, 20.0, 12.0), 1.5), "theatre": ((30.0, 20.0, 12.0), 1.5), "museum": ((30.0, 20.0, 8.0), 2.0),
}
_SIZE = {"tiny": 0.6, "small": 0.8, "little": 0.8, "large": 1.5, "big": 1.5, "huge": 2.0, "enormous": 2.0, "vast": 2.0, "giant": 2.0}
_LIVE = {"reverberant": 1.5, "echoing": 1.5, "echoey": 1.5, "echoy": 1.5, "empty": 1.3, "tiled": 1.4, "stone": 1.4, "cavernous": 1.8,
         "dry": 0.5, "dead": 0.5, "carpeted": 0.7, "padded": 0.5, "cozy": 0.8, "cosy": 0.8, "quiet": 1.0, "busy": 1.0, "old": 1.1}
_ADJECTIVES = _words(list(_SIZE) + list(_LIVE) + ["very", "rather", "quite", "and", "dark", "wooden", "concrete", "modern"])
_ROOM = _rx(rf"(?:\b(?:in|inside|within)\s+(?:of\s+)?(?:a|an|the|my|our|this|some)\s+(?P<adj>(?:(?:{_ADJECTIVES}),?\s+)*(?:(?!next\b)[a-z]+\s+){{0,2}}?)"
            rf"(?P<noun>{_words(list(_ROOM_NOUNS))})\b)")
_OUTDOORS = _rx(r"\b(?:outdoors|outside|out\s+of\s+doors|in\s+the\s+open(?:\s+air)?|in\s+an?\s+open\s+field|in\s+the\s+open\s+air)\b")


def _fit(metres: float) -> float:
    return max(1.5, min(200.0, round(metres, 2)))


def parse_room(m: Masked) -> Room | None:
    """The room a text names ('in a large reverberant hall'), or None outdoors or when it names none."""
    if m.take(_OUTDOORS):
        return None
    match = m.take(_ROOM)
    if match is None:
        return None
    size, live = 1.0, 1.0
    for word in re.findall(r"[a-z]+", match["adj"].lower()):
        size *= _SIZE.get(word, 1.0)
        live *= _LIVE.get(word, 1.0)
    dims, rt60 = _ROOM_NOUNS[" ".join(match["noun"].lower().split())]
    return Room(dimensions=(_fit(dims[0] * size), _fit(dims[1] * size), _fit(dims[2] * max(1.0, size ** 0.5))),
                rt60=max(0.1, min(10.0, round(rt60 * live * size ** 0.5, 2))))
