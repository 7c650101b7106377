"""The offline rule planner: English scene descriptions -> Scene, with no model and no network.

    RulePlanner().plan("a dog barks behind, then a bird sings on the right for 4 seconds")

The text is split into clauses at temporal connectives ("then", "while", "and", ".", ";"); each
clause's spatial phrases (planners/spatial_words.py) and timing phrases are read and stripped, what
is left describes the sound; the class it names (planners/priors.py) fills in what the text leaves
out. Timing becomes absolute through planners/timeline.py. The structured form
"EVENT: ... & LOCATION: ..." (items on separate lines or after ';') is read too. The text is data
only: nothing in it is executed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cascade.limits import MAX_EVENT_DURATION, MAX_EVENTS, MAX_TEXT
from cascade.scene import Keyframe, Position, Room, Scene, SceneError, SoundEvent
from planners import Planner, PlannerError
from planners.priors import Prior, classify, prior
from planners.spatial_words import NUMBER, QUANTITY, Masked, Place, Waypoint, parse_number, parse_place, parse_room
from planners.timeline import Relation, TimelineError, resolve_starts

ALONE_SCENE = 10.0  # s, length of a scene that holds only whole-scene sounds
LOUD_DB, FAINT_DB = 6.0, -12.0


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_SECONDS = r"\s*(?:seconds?|secs?|s)\b"
_SEPARATOR = _rx(
    rf"(?P<gap>,?\s*\b(?:and\s+)?(?:then\s+)?(?:(?:after|in)\s+(?:another\s+|a\s+further\s+)?(?P<gn>{QUANTITY})\s*(?:more\s+)?"
    rf"(?:seconds?|secs?)\b|(?P<gm>{QUANTITY})\s*(?:more\s+)?(?:seconds?|secs?)\s+(?:later|afterwards?|after\s+that)\b)(?!\s*(?:[.;\n]|$)),?)"
    r"|(?P<moment>,?\s*\b(?:and\s+)?(?:then\s+)?(?:(?:a\s+)?(?:moments?|beat|short\s+while|little\s+while)\s+later|after\s+a\s+"
    r"(?:moment|pause|beat|short\s+pause|while))\b,?)"
    r"|(?P<stop>\s*(?:[;\n]|\.(?=\s|$))[\s.;]*)"
    r"|(?P<after>,?\s*\b(?:and\s+)?(?:then|after\s+(?:that|this|which)|afterwards?|next(?!\s+(?:to|door|room))|later(?:\s+on)?"
    r"|subsequently|followed\s+by|before(?!\s+(?:me|us|you)\b)|finally|lastly|eventually|in\s+the\s+end|soon\s+after(?:wards)?"
    r"|shortly\s+after(?:wards)?)\b,?)"
    rf"|(?P<rev>,?\s*(?:(?P<rn>{QUANTITY})\s*(?:seconds?|secs?)\s+)?\bafter\b(?!\s+(?:{NUMBER}|that|this|which|another|a\s+(?:moment|while|pause|beat|second|few|couple|short|little|bit))\b),?)"
    r"|(?P<sub>,?\s*\b(?:while|whilst|at\s+the\s+same\s+time\s+as|(?:as|when)(?=\s+(?:a|an|the|some|someone|somebody|my|his|her|their|[a-z]+s)\b))\b,?)"
    r"|(?P<with>,?\s*\b(?:meanwhile|simultaneously|at\s+the\s+same\s+time|along\s+with|together\s+with|accompanied\s+by|as\s+well\s+as"
    r"|in\s+the\s+meantime)\b,?)"
    r"|(?P<and>,?\s*\band\b,?)"
    r"|(?P<comma>\s*,\s*)"
)
_SHIELD = _rx(rf"{QUANTITY}\s*(?:more\s+)?(?:seconds?|secs?)\s+(?:later|afterwards?|after\s+that)\b|\bbetween\s+{NUMBER}\s*(?:s|seconds?)?\s+and\s+{NUMBER}|{NUMBER}|\b(\w+)\s+and\s+\1\b|\bback\s+and\s+forth\b"
              r"|\bup\s+and\s+down\b|\bto\s+and\s+fro\b|\bon\s+and\s+off\b|\brock\s+and\s+roll\b|\bpots\s+and\s+pans\b"
              r"|\bhustle\s+and\s+bustle\b|\bin\s+the\s+distance\b")
_RANGE = _rx(rf"\b(?:from|between)\s+(?P<a>{NUMBER})\s*(?:s|seconds?)?\s+(?:to|until|till|through|and)\s+(?P<b>{NUMBER}){_SECONDS}")
_AT = _rx(rf"\b(?:(?:starting|beginning|starts?|begins?|comes?\s+in|enters?|occurs?|happens?)\s+)?(?:at|from)\s+(?:the\s+)?"
          rf"(?:t\s*=\s*)?(?P<n>{NUMBER})\s*(?P<u>seconds?|secs?|s|minutes?|mins?)\b(?:\s+mark)?(?:\s+into\s+the\s+(?:scene|clip))?"
          rf"|\bat\s+the\s+(?P<n2>{NUMBER})[- ](?P<u2>second|minute)\s+mark\b"
          rf"|\b(?:starting|beginning)\s+(?P<n3>{NUMBER}){_SECONDS}\s+in\b")
_GAP = _rx(rf"\b(?:after|in)\s+(?:another\s+|a\s+further\s+)?(?P<n>{QUANTITY})\s*(?:more\s+)?(?:seconds?|secs?)\b"
           rf"|\b(?P<m>{QUANTITY})\s*(?:more\s+)?(?:seconds?|secs?)\s+(?:later|afterwards?|after\s+that)\b")
_DURATION = _rx(rf"\b(?:for|lasting|lasts|last|over)\s+(?:about\s+|around\s+|roughly\s+|approximately\s+|nearly\s+|almost\s+|just\s+)?"
                rf"(?P<n>{QUANTITY})\s*(?P<u>seconds?|secs?|s|minutes?|mins?)\b"
                rf"|\b(?P<n2>{NUMBER})(?:-(?P<u2>second|sec|minute)s?(?:[- ]long)?|\s+(?P<u3>seconds?|minutes?)\s+(?:long|of)\b)")
_WHOLE = _rx(r"\b(?:for|during|throughout|over|across)\s+the\s+(?:whole|entire|full)\s+(?:scene|clip|recording|time|duration|thing|piece)\b"
             r"|\bthroughout(?:\s+the\s+(?:scene|clip|recording))?\b|\b(?:the\s+)?(?:whole|entire)\s+(?:time|scene)\b|\ball\s+along\b"
             r"|\bcontinuously\b|\bconstantly\b|\bin\s+the\s+background\b|\ball\s+the\s+time\b|\bnon-?stop\b|\bthe\s+whole\s+way\s+through\b")
_TOGETHER = _rx(r"\b(?:at\s+the\s+same\s+time|simultaneously|meanwhile|in\s+the\s+meantime)\b")
_LOUD = _rx(r"\b(?:loud|loudly|very\s+loud|booming)\b")
_FAINT = _rx(r"\b(?:faint|faintly|quiet|quietly|soft|softly|barely\s+audible|gently)\b")
_FILLER = _rx(r"^(?:(?:and|then|also|so|but|while|as|when|meanwhile|finally|next|later|first(?:\s+of\s+all)?|somewhere|there(?:'s|\s+is|\s+are)|i\s+(?:can\s+)?hear"
              r"|we\s+(?:can\s+)?hear|you\s+(?:can\s+)?hear|suddenly|stops?|ends|ceases|falls\s+silent|goes\s+quiet|dies\s+down)\b[\s,]*)+"
              r"|(?:[\s,]*\b(?:and|then|to|the|from|on|at|of|in|into|by|me|my|us|is|are|toward|towards|a|an|which|that|direction|side"
              r"|coming|comes|heard|stops?|ends|ceases|located|positioned|slightly|just|over|up|with|very|quite|somewhere|starting|begins?|starts?|while|position)\b)+$")
_STRUCTURED = _rx(r"\bEVENT\s*:")
_FIELD = _rx(r"\b(?P<key>EVENT|LOCATION|POSITION|DIRECTION|DISTANCE|ELEVATION|MOTION|TRAJECTORY|TIME|START|ONSET|DURATION|ROOM)\s*:\s*"
             r"(?P<value>.*?)\s*(?=&|\b(?:EVENT|LOCATION|POSITION|DIRECTION|DISTANCE|ELEVATION|MOTION|TRAJECTORY|TIME|START|ONSET"
             r"|DURATION|ROOM)\s*:|$)")
_BARE_NUMBER = _rx(rf"^\s*{NUMBER}\s*$")
_FIELD_UNIT = {"START": "at {} seconds", "ONSET": "at {} seconds", "TIME": "at {} seconds", "DURATION": "for {} seconds",
               "DISTANCE": "{} m away", "ELEVATION": "elevation {}", "LOCATION": "azimuth {}", "POSITION": "azimuth {}",
               "DIRECTION": "azimuth {}"}


@dataclass
class _Clause:
    """One event's text and how it hangs on the one before: start|after|with|rev|and|comma|stop, with a gap (s)."""

    text: str
    link: str = "start"
    gap: float = 0.0
    cue_text: str = ""  # extra spatial/timing text (structured form), read but never part of the description
    lead: bool = False  # introduced by a sentence-initial "while"/"as": the next clause goes with it


@dataclass
class _Event:
    description: str
    sound_class: str | None
    prior: Prior
    place: Place
    duration: float | None
    at: float | None
    gap: float | None
    ambient: bool
    together: bool
    gain_db: float
    link: str = "start"
    link_gap: float = 0.0
    lead: bool = False
    id: str = ""
    relation: Relation | None = field(default=None)


_KINDS = ("gap", "moment", "stop", "after", "rev", "sub", "with", "and", "comma")
_STRONG = {"after", "with", "rev", "gap"}


def _split(text: str) -> list[_Clause]:
    """Clauses at temporal connectives, each with the link to the clause before it."""
    shields = [m.span() for m in _SHIELD.finditer(text)]
    clauses, link, gap, lead, cursor = [], "start", 0.0, False, 0
    for match in _SEPARATOR.finditer(text):
        start, end = match.span()
        if any(a < end and start < b and not (start <= a and b <= end) for a, b in shields):
            continue
        kind = next(k for k in _KINDS if match[k] is not None)
        count = match["gn"] or match["gm"] or match["rn"]
        new_gap = parse_number(count) if count else 1.0 if kind == "moment" else 0.0
        kind = {"moment": "gap", "sub": "with"}.get(kind, kind)
        piece = text[cursor:start]
        cursor = end
        if piece.strip(" ,.;"):
            clauses.append(_Clause(piece, link, gap, lead=lead))
            link, gap, lead = kind, new_gap, False
        elif match["sub"] is not None and link in ("start", "stop"):
            lead = True  # "While A, B": A keeps the sentence's link, B goes with A
        elif kind in _STRONG or link not in _STRONG:
            link, gap = kind, new_gap
    if text[cursor:].strip(" ,.;"):
        clauses.append(_Clause(text[cursor:], link, gap, lead=lead))
    return clauses


def _structured(text: str) -> list[_Clause]:
    """Clauses of the 'EVENT: ... & LOCATION: ...' form; items are simultaneous unless they say otherwise."""
    items = [item for item in re.split(r"[;\n]+|(?=\bEVENT\s*:)", text, flags=re.IGNORECASE) if item.strip(" &,.")]
    clauses = []
    for item in items:
        event, cues = "", []
        for match in _FIELD.finditer(item):
            key, value = match["key"].upper(), match["value"].strip(" &,;")
            if key == "EVENT":
                event = value
            elif value:
                cues.append(_FIELD_UNIT[key].format(value) if key in _FIELD_UNIT and _BARE_NUMBER.match(value) else value)
        if event.strip():
            clauses.append(_Clause(event, "start" if not clauses else "with", 0.0, ", ".join(cues)))
    return clauses


def _tidy(rest: str) -> str:
    """What is left of a clause after its cues are blanked, as a short description."""
    words = re.sub(r"\s+([,.;!?])", r"\1", " ".join(rest.split()))
    words = re.sub(r"(?:,\s*)+,", ",", words).strip(" ,.;:-&")
    previous = None
    while words != previous:
        previous = words
        words = _FILLER.sub("", words).strip(" ,.;:-&")
    first = words.split(" ", 1)[0]
    if first[:1].isupper() and (len(first) == 1 or first[1:].islower()):
        words = words[0].lower() + words[1:]
    return words[:300].rstrip()


def _parse(clause: _Clause) -> _Event:
    """Read one clause: timing, place, loudness, and the description that is left."""
    m = Masked(clause.text + (", " + clause.cue_text if clause.cue_text else ""))
    sound_class = classify(clause.text)
    p = prior(sound_class)
    duration = at = gap = None
    ambient = m.take(_WHOLE) is not None
    match = m.take(_RANGE)
    if match:
        at = parse_number(match["a"])
        duration = parse_number(match["b"]) - at
    match = m.take(_AT)
    if match and at is None:
        unit = match["u"] or match["u2"] or "s"
        at = parse_number(match["n"] or match["n2"] or match["n3"]) * (60.0 if unit.lower().startswith("m") else 1.0)
    match = m.take(_GAP)
    if match:
        gap = parse_number(match["n"] or match["m"])
    match = m.take(_DURATION)
    if match and duration is None:
        unit = match["u"] or match["u2"] or match["u3"]
        duration = parse_number(match["n"] or match["n2"]) * (60.0 if unit.lower().startswith("m") else 1.0)
    together = m.take(_TOGETHER) is not None
    place = parse_place(m, p.airborne)
    gain = LOUD_DB if _LOUD.search(clause.text) else FAINT_DB if _FAINT.search(clause.text) else 0.0
    description = _tidy(m.rest[:len(clause.text)])
    if duration is not None and duration <= 0:
        raise PlannerError(f"'{clause.text.strip()[:60]}' gives a duration of {duration:g} s; give a positive length")
    if duration is None and p.ambient and at is None and gap is None:
        ambient = True
    return _Event(description, sound_class, p, place, duration, at, gap, ambient, together, gain, clause.link, clause.gap, clause.lead)


def _merge_empty(clauses: list[_Clause], events: list[_Event]) -> list[_Clause]:
    """Join a clause that names no sound ('far away', 'slightly to the left') to its neighbour; None if none were empty."""
    for i, event in enumerate(events):
        if event.description:
            continue
        forward = i + 1 < len(clauses) and (i == 0 or clauses[i].link not in ("comma", "and"))
        if not forward and i == 0:
            raise PlannerError("the description names no sound; say what sounds, e.g. 'a dog barks behind me'")
        if forward:
            nxt = clauses[i + 1]
            joined = _Clause(clauses[i].text + ", " + nxt.text, clauses[i].link, max(clauses[i].gap, nxt.gap),
                             ", ".join(filter(None, (clauses[i].cue_text, nxt.cue_text))), clauses[i].lead or nxt.lead)
            return clauses[:i] + [joined] + clauses[i + 2:]
        prev = clauses[i - 1]
        joined = _Clause(prev.text + ", " + clauses[i].text, prev.link, prev.gap,
                         ", ".join(filter(None, (prev.cue_text, clauses[i].cue_text))), prev.lead)
        return clauses[:i - 1] + [joined] + clauses[i + 1:]
    return []


def _ids(events: list[_Event]) -> None:
    seen: dict[str, int] = {}
    for event in events:
        words = [w for w in re.findall(r"[a-z0-9]+", event.description.lower()) if len(w) > 2 and w not in ("the", "and", "some")]
        base = event.sound_class or (words[0][:16] if words else "sound")
        seen[base] = seen.get(base, 0) + 1
        event.id = base if seen[base] == 1 else f"{base}-{seen[base]}"


def _relations(events: list[_Event]) -> None:
    """Each event's start relation from its link and timing phrases; whole-scene events stay out of the timeline."""
    for i, event in enumerate(events):
        if event.at is not None:
            event.relation = Relation(event.id, "at", None, event.at)
            continue
        gap = event.gap if event.gap is not None else event.link_gap
        link = "with" if event.together or (event.link == "comma" and i and events[i - 1].lead) else event.link
        if link in ("with", "and") and i:
            anchor = events[i - 1]
            event.relation = (Relation(event.id, "at", None, gap) if anchor.ambient
                              else Relation(event.id, "with", anchor.id, gap))
            continue
        timed = [e for e in events[:i] if not e.ambient]
        if i and link not in ("start",) and timed:
            event.relation = Relation(event.id, "after", timed[-1].id, gap)
        elif gap:
            event.relation = Relation(event.id, "at", None, gap)
    for i, event in enumerate(events):
        if event.link == "rev" and i and not events[i - 1].ambient and events[i - 1].at is None and event.at is None:
            before = events[i - 1]
            event.relation = None if before.relation is None else Relation(event.id, before.relation.kind, before.relation.anchor,
                                                                            before.relation.offset)
            before.relation = Relation(before.id, "after", event.id, event.link_gap)


def _position(place: Place, p: Prior, waypoint: Waypoint | None = None) -> Position:
    w = waypoint or Waypoint()
    azimuth = w.azimuth if w.azimuth is not None else place.azimuth if place.azimuth is not None else 0.0
    elevation = w.elevation if w.elevation is not None else place.elevation if place.elevation is not None else p.elevation
    distance = w.distance if w.distance is not None else place.distance if place.distance is not None else p.distance
    return Position(azimuth=azimuth, elevation=elevation, distance=distance)


def _sound_event(event: _Event, start: float, duration: float) -> SoundEvent:
    place, path = event.place, event.place.path
    if path is None:
        return SoundEvent(id=event.id, description=event.description, start=start, duration=duration,
                          position=_position(place, event.prior), gain_db=event.gain_db)
    steps = len(path) - 1
    keys = [Keyframe(time=round(duration * (k / steps if w.fraction is None else w.fraction), 6), position=_position(place, event.prior, w))
            for k, w in enumerate(path) if k]
    return SoundEvent(id=event.id, description=event.description, start=start, duration=duration,
                      position=_position(place, event.prior, path[0]), gain_db=event.gain_db, trajectory=keys)


class RulePlanner(Planner):
    """Plans scenes from English text with hand-written rules; offline and deterministic."""

    name = "rules"

    def plan(self, text: str) -> Scene:
        """A validated Scene for `text`; PlannerError when the text is empty, too long or names no sound."""
        if not isinstance(text, str) or not text.strip():
            raise PlannerError("the scene description is empty; describe what sounds, e.g. 'a dog barks behind me'")
        if len(text) > MAX_TEXT:
            raise PlannerError(f"the scene description has {len(text)} characters; the limit is {MAX_TEXT}, shorten it")
        whole = Masked(text)
        room = parse_room(whole)
        clauses = _structured(whole.rest) if _STRUCTURED.search(text) else _split(whole.rest)
        events = [_parse(c) for c in clauses]
        while clauses and (merged := _merge_empty(clauses, events)):
            clauses = merged
            events = [_parse(c) for c in clauses]
        if not events:
            raise PlannerError("the description names no sound; say what sounds, e.g. 'a dog barks behind me'")
        if len(events) > MAX_EVENTS:
            raise PlannerError(f"the description holds {len(events)} sounds; the limit is {MAX_EVENTS}, split it into scenes")
        return self._scene(text, events, room)

    @staticmethod
    def _scene(text: str, events: list[_Event], room: Room | None) -> Scene:
        _ids(events)
        _relations(events)
        timed = {e.id: min(MAX_EVENT_DURATION, e.duration or e.prior.duration) for e in events if not e.ambient}
        relations = [e.relation for e in events if e.relation is not None and not e.ambient and
                     (e.relation.anchor is None or e.relation.anchor in timed)]
        try:
            starts = resolve_starts(timed, relations)
        except TimelineError as err:
            raise PlannerError(f"the timing words do not form one timeline: {err}") from None
        end = max((starts[i] + d for i, d in timed.items()), default=ALONE_SCENE)
        out = []
        for event in events:
            if event.ambient:
                start = event.at or 0.0
                length = event.duration or (end - start if end > start else ALONE_SCENE)
                out.append(_sound_event(event, start, min(MAX_EVENT_DURATION, length)))
            else:
                out.append(_sound_event(event, starts[event.id], timed[event.id]))
        try:
            return Scene(text=text, events=out, room=room)
        except (ValueError, SceneError) as err:
            raise PlannerError(f"the planned scene is invalid: {str(err).splitlines()[0]}") from None
