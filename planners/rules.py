"""The offline rule planner: English scene descriptions -> Scene, with no model and no network.

    RulePlanner().plan("a dog barks behind, then a bird sings on the right for 4 seconds")

The text is split into clauses at temporal connectives ("then", "while", "and", ".", ";"); each
clause's spatial phrases (planners/spatial_words.py) and timing phrases are read and stripped, what
is left describes the sound; the class it names (cascade/taxonomy.py) fills in what the text leaves
out, and words of the text win over it. Only clauses that name a sound become events. Timing becomes
absolute through planners/timeline.py: "after X starts" from X's start, "after X" or "after X stops"
from its end. The structured form
"EVENT: ... & LOCATION: ..." (items on separate lines or after ';') is read too. The text is data
only: nothing in it is executed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace

import numpy as np

from cascade.geometry import to_cartesian, to_spherical, wrap_azimuth
from cascade.limits import MAX_DISTANCE, MAX_EVENT_DURATION, MAX_EVENTS, MAX_TEXT, MIN_DURATION
from cascade.scene import Keyframe, Position, Room, Scene, SceneError, SoundEvent
from cascade.taxonomy import SoundClass, classify, sound_class
from planners import Planner, PlannerError
from planners.spatial_words import NUMBER, PASS_ANGLE, QUANTITY, Line, Masked, Place, Waypoint, parse_number, parse_place, parse_room
from planners.timeline import AnchorPhase, Relation, TimelineError, resolve_starts, starts_after

log = logging.getLogger("cascade")

ALONE_SCENE = 10.0  # s, length of a scene that holds only whole-scene sounds
PASS_REACH = 0.95 * MAX_DISTANCE  # m: a pass-by starts and ends no farther than this
GROUND_STEEPEST = 60.0  # degrees below the ear of a sound on the ground nearer than its depth below the ear
LOUD_DB, FAINT_DB = 6.0, -12.0


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_SECONDS = r"\s*(?:seconds?|secs?|s)\b"
_SEPARATOR = _rx(
    rf"(?P<gap>,?\s*\b(?:and\s+)?(?:then\s+)?(?:(?:after|in)\s+(?:another\s+|a\s+further\s+)?(?P<gn>{QUANTITY})\s*(?:more\s+)?"
    rf"(?:seconds?|secs?)\b(?!\s+(?:after|before)\b)|(?P<gm>{QUANTITY})\s*(?:more\s+)?(?:seconds?|secs?)\s+(?:later|afterwards?|after\s+that)\b)(?!\s*(?:[.;\n]|$)),?)"
    r"|(?P<moment>,?\s*\b(?:and\s+)?(?:then\s+)?(?:(?:a\s+)?(?:moments?|beat|short\s+while|little\s+while)\s+later|after\s+a\s+"
    r"(?:moment|pause|beat|short\s+pause|while))\b,?)"
    r"|(?P<stop>\s*(?:[;\n]|[.:](?=\s|$))[\s.;]*)"
    r"|(?P<after>,?\s*\b(?:and\s+)?(?:then|after\s+(?:that|this|which)|afterwards?|next(?!\s+(?:to|door|room))|later(?:\s+on)?"
    rf"|subsequently|followed\s+by|finally|lastly|eventually|in\s+the\s+end|soon\s+after(?:wards)?|until(?!\s+{NUMBER})|till(?!\s+{NUMBER})"
    r"|shortly\s+after(?:wards)?)\b,?)"
    rf"|(?P<rev>,?\s*(?:(?P<rn>{QUANTITY})\s*(?:seconds?|secs?)\s+)?\bafter\b(?!\s+(?:{NUMBER}|that|this|which|another|a\s+(?:moment|while|pause|beat|second|few|couple|short|little|bit))\b),?)"
    rf"|(?P<before>,?\s*(?:(?P<bn>{QUANTITY})\s*(?:seconds?|secs?)\s+)?\bbefore\b(?!\s+(?:me|us|you)\b),?)"
    r"|(?P<sub>,?\s*\b(?:while|whilst|at\s+the\s+same\s+time\s+as|as\s+soon\s+as|(?:(?<!\bact\s)(?<!\bacts\s)(?<!\bsuch\s)(?<!\bsame\s)as|when|once)"
    r"(?=\s+(?:a|an|the|some|someone|somebody|my|his|her|their|[a-z]+s)\b))\b,?)"
    r"|(?P<with>,?\s*\b(?:meanwhile|simultaneously|at\s+the\s+same\s+time|along\s+with|together\s+with|accompanied\s+by|as\s+well\s+as"
    r"|in\s+the\s+meantime)\b,?)"
    r"|(?P<and>,?\s*\band\b,?)"
    r"|(?P<comma>\s*,\s*)"
)
_QUOTE = _rx(r"\"[^\"]*\"|“[^”]*”")
"""Quoted words (what someone says): kept whole, never split into clauses nor read for places and times."""
_SHIELD = _rx(rf"{_QUOTE.pattern}|{QUANTITY}\s*(?:more\s+)?(?:seconds?|secs?)\s+(?:later|afterwards?|after\s+that)\b|\bbetween\s+{NUMBER}\s*(?:s|seconds?)?\s+and\s+{NUMBER}|{NUMBER}|\b(\w+)\s+and\s+\1\b|\bback\s+and\s+forth\b"
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
              r"|coming|comes|heard|stops?|ends|ceases|located|positioned|slightly|just|over|up|with|very|quite|somewhere|starting|begins?|starts?|while|position"
              r"|it|they|he|she)\b)+$")
_STRUCTURED = _rx(r"\bEVENT\s*:")
_FIELD = _rx(r"\b(?P<key>EVENT|LOCATION|POSITION|DIRECTION|DISTANCE|ELEVATION|MOTION|TRAJECTORY|TIME|START|ONSET|DURATION|ROOM)\s*:\s*"
             r"(?P<value>.*?)\s*(?=&|\b(?:EVENT|LOCATION|POSITION|DIRECTION|DISTANCE|ELEVATION|MOTION|TRAJECTORY|TIME|START|ONSET"
             r"|DURATION|ROOM)\s*:|$)")
_BARE_NUMBER = _rx(rf"^\s*{NUMBER}\s*$")
_FIELD_UNIT = {"START": "at {} seconds", "ONSET": "at {} seconds", "TIME": "at {} seconds", "DURATION": "for {} seconds",
               "DISTANCE": "{} m away", "ELEVATION": "elevation {}", "LOCATION": "azimuth {}", "POSITION": "azimuth {}",
               "DIRECTION": "azimuth {}"}
_STARTS = _rx(r"\b(?:starts?|started|starting|begins?|began|beginning|kicks?\s+in|comes?\s+on|strikes?\s+up|sets?\s+in|goes\s+off)\b")
_STOPS = _rx(r"\b(?:stops|stopped|ends|ended|finishes|finished|ceases|ceased|falls\s+silent|goes\s+(?:quiet|silent)|dies\s+down"
             r"|is\s+(?:over|done|finished)|(?:has|have)\s+(?:stopped|finished|ended))\b|\b(?:they|we|both|all|(?<!\bbus\s)[a-z]+s)\s+(?:stop|finish|cease)\b")
_PHASE_END = _rx(rf"(?:{_STOPS.pattern}|{_STARTS.pattern})(?=\s+(?:a|an|the|some|someone|somebody|my|his|her|their)\b)")
"""Where a leading clause with no comma ends: 'After the radio stops| a chair creaks'."""

# Words that make a clause name a sound besides the class words of cascade/taxonomy.py: verbs and nouns of sounding.
# Stems in _E drop a final 'e' (whistl-e, -ing); stems in _DOUBLE double their last letter (hum-ming).
_PLAIN = ("bark ring buzz beep bleep click clack clatter clang clank clink clunk creak squeak squeal screech hiss roar growl howl whimper "
          "wail moan groan sigh cough sniff gasp pant chew crunch munch slurp gulp burp hiccup splash splatter spatter pour fizz crack thump "
          "thunk bang boom crash smash shatter knock scratch grind whirr purr chirp tweet twitter croak caw honk toot hoot ding dong toll "
          "peal tick tock stomp stamp patter plink plunk drum strum pluck play sing whisper speak talk say shout yell scream shriek cry sob "
          "laugh chatter chat murmur mutter call echo resound sound noise tone melody tune song chant boil flush flutter swish swoosh whoosh "
          "woosh vroom bleat moo neigh whinny oink quack meow miaow squawk trill coo cluck bellow snarl snort yap yelp yip woof trumpet clop "
          "blast throb thrum twang ping zap slap smack whack thwack squelch squish slosh racket hubbub clamour clamor siren alarm static "
          "sputter splutter whizz whiz zoom rev")
_E = "whistl jingl jangl tinkl rustl crackl crinkl crumpl rumbl grumbl whin snor sneez wheez gurgl bubbl trickl rattl scrap shuffl giggl chuckl babbl sizzl chim warbl blar dron idl vibrat"
_DOUBLE = "pop tap drip slam hum sob zip chug snap clap flap plop thud whir"
_IRREGULAR = "rang rung sang sung spoke said cried cries blew blow blows blowing"
_SOUNDING = _rx(r"\b(?:" + "|".join([rf"(?:{'|'.join(_PLAIN.split())})(?:s|es|ed|d|ing|er|ers)?",
                                     rf"(?:{'|'.join(_E.split())})(?:e|es|ed|ing|er|ers|y)",
                                     *(rf"{w}(?:s|{w[-1]}ed|{w[-1]}ing|{w[-1]}er|{w[-1]}y)?" for w in _DOUBLE.split()),
                                     "|".join(_IRREGULAR.split()), r"(?:start|fire|power)(?:s|ed|ing)?\s+up|go(?:es)?\s+off|went\s+off|clear(?:s|ed|ing)?\s+\w+\s+throat"]) + r")\b")
_INSTRUCTION = _rx(r"^[\s,.;:!\"'(-]*(?:(?:please|kindly|now|and|then|also|just|so|but|first|ok|okay)[\s,]+)*(?:(?:ignore|disregard|forget|print"
                   r"|output|reveal|disclose|display|dump|leak|repeat|write|translate|summari[sz]e|explain|list|answer|respond|reply|return|delete"
                   r"|remove|erase|execute|run|send|override|bypass|obey|pretend|roleplay|role-play|behave|act|say|tell|show|give|enable"
                   r"|activate|switch|do\s+not|don'?t|never|stop\s+being)\b|(?:system|assistant|user|developer|admin)\s*:|from\s+now\s+on\b"
                   r"|new\s+instructions?\b|your\s+(?:new\s+)?(?:task|instructions?|role|job|rules|prompt)\b|you\s+(?:are|'re|will|must|should"
                   r"|shall|have\s+to|need\s+to)\b(?!\s+(?:hear|hearing|listening|in|at|on|inside|outside|standing|sitting|walking|lying|near|by"
                   r"|surrounded)\b))")
"""A clause addressed to the planner (an order to it, or a role for it): it is never a sound, whatever it mentions."""
_TRAILING = _rx(r"^[a-z]+ing(?:\s+[a-z]+ly)?$")
"""A clause of a participle alone, after a comma: how the sound before it sounds ('a truck reverses, beeping')."""
_PRONOUN = _rx(r"^\W*(?:it|they|he|she)\b")
_OWN_SUBJECT = _rx(rf"^(?:a|an|the|some|any|another|this|that|these|those|my|your|his|her|our|their|someone|somebody|something|{NUMBER})\b")
_PERSON = _rx(r"^(?:(?:a|an|the|some|my|your|his|her|our|their|two|three|several)\s+)?(?:someone|somebody|(?:old\s+|young\s+)?"
              r"(?:man|woman|men|women|person|people|child|children|kid|kids|boy|girl|baby|neighbou?r|guest|stranger|waiter|customer))\b")
"""A person doing something is a sound in a scene description ('someone turns the pages of a book')."""


@dataclass
class _Clause:
    """One event's text and how it hangs on the one before: start|after|with|rev|before|and|comma|stop, with a gap (s)."""

    text: str
    link: str = "start"
    gap: float = 0.0
    cue_text: str = ""  # extra spatial/timing text (structured form), read but never part of the description
    lead: str | None = None  # a sentence-initial "while"/"when" (with), "after" (rev) or "before": it places the next clause
    lead_gap: float = 0.0


@dataclass
class _Event:
    description: str
    sound_class: str | None
    prior: SoundClass
    place: Place
    duration: float | None
    at: float | None
    gap: float | None
    whole: bool  # the text spans it over the whole scene
    together: bool
    gain_db: float
    phase: AnchorPhase | None  # the clause says the sound starts or stops
    sounding: bool  # the clause names a sound: a class word, a sound word, or a source that moves
    link: str = "start"
    link_gap: float = 0.0
    lead: str | None = None
    lead_gap: float = 0.0
    id: str = ""
    ambient: bool = False
    relation: Relation | None = field(default=None)

    @property
    def cued(self) -> bool:
        """The clause says where or when."""
        return self.place != Place() or self.whole or self.together or any(v is not None for v in (self.duration, self.at, self.gap))


_KINDS = ("gap", "moment", "stop", "after", "rev", "before", "sub", "with", "and", "comma")
_STRONG = {"after", "with", "rev", "before", "gap"}
_LEADS = {"sub": "with", "rev": "rev", "before": "before"}


def _split(text: str) -> list[_Clause]:
    """Clauses at temporal connectives, each with the link to the clause before it."""
    shields = [m.span() for m in _SHIELD.finditer(text)]
    clauses: list[_Clause] = []
    link, gap, lead, lead_gap, cursor = "start", 0.0, None, 0.0, 0
    for match in _SEPARATOR.finditer(text):
        start, end = match.span()
        if any(a < end and start < b and not (start <= a and b <= end) for a, b in shields):
            continue
        kind = next(k for k in _KINDS if match[k] is not None)
        count = match["gn"] or match["gm"] or match["rn"] or match["bn"]
        new_gap = parse_number(count) if count else 1.0 if kind == "moment" else 0.0
        new_link = {"moment": "gap", "sub": "with"}.get(kind, kind)
        piece = text[cursor:start]
        cursor = end
        if piece.strip(" ,.;"):
            clauses += _led_clauses(_Clause(piece, link, gap, lead=lead, lead_gap=lead_gap))
            link, gap, lead, lead_gap = new_link, new_gap, None, 0.0
        elif kind in _LEADS and link in ("start", "stop", "and", "after"):
            lead, lead_gap = _LEADS[kind], new_gap  # "(and) After A, B": A keeps its own link and places B
        elif new_link in _STRONG or link not in _STRONG:
            link, gap = new_link, new_gap
    if text[cursor:].strip(" ,.;"):
        clauses += _led_clauses(_Clause(text[cursor:], link, gap, lead=lead, lead_gap=lead_gap))
    return clauses


def _led_clauses(clause: _Clause) -> list[_Clause]:
    """A leading clause that runs on into its main clause without a comma, split after its verb of starting or stopping."""
    match = _PHASE_END.search(clause.text) if clause.lead else None
    if match is None:
        return [clause]
    return [_Clause(clause.text[:match.end()], clause.link, clause.gap, lead=clause.lead, lead_gap=clause.lead_gap),
            _Clause(clause.text[match.end():], "comma")]


def _structured(text: str) -> list[_Clause]:
    """Clauses of the 'EVENT: ... & LOCATION: ...' form; items are simultaneous unless they say otherwise."""
    items = [item for item in re.split(r"[;\n]+|(?=\bEVENT\s*:)", text, flags=re.IGNORECASE) if item.strip(" &,.")]
    clauses: list[_Clause] = []
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
    """Read one clause: timing, place, loudness, and the description that is left (quoted words kept as they are)."""
    hidden = _QUOTE.sub(lambda quote: quote[0][0] + "\0" * (len(quote[0]) - 2) + quote[0][-1], clause.text)
    m = Masked(hidden + (", " + clause.cue_text if clause.cue_text else ""))
    found = classify(clause.text.split(",", 1)[0]) or classify(clause.text)  # the subject comes first: 'a car passes, honking'
    p = sound_class(found)
    duration = at = gap = None
    whole = m.take(_WHOLE) is not None
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
    words = "".join(kept if left == "\0" else left for left, kept in zip(m.rest[:len(clause.text)], clause.text))
    description = _tidy(words)
    if duration is not None and not duration >= MIN_DURATION:
        raise PlannerError(f"'{clause.text.strip()[:60]}' gives a duration of {duration:g} s; an event lasts at least {MIN_DURATION:g} s")
    phase: AnchorPhase | None = "end" if _STOPS.search(clause.text) else "start" if _STARTS.search(clause.text) else None
    sounding = bool(found or _SOUNDING.search(words) or _PERSON.match(description) or ((place.path is not None or place.line is not None or phase) and _OWN_SUBJECT.match(description)))
    return _Event(description, found, p, place, duration, at, gap, whole, together, gain, phase, sounding, clause.link, clause.gap,
                  clause.lead, clause.lead_gap)


def _joined(first: _Clause, second: _Clause, forward: bool) -> _Clause:
    """Two neighbouring clauses as one, linked as the first, led as whichever leads; joined forward, the larger gap counts."""
    led = first if first.lead else second
    return _Clause(first.text + ", " + second.text, first.link, max(first.gap, second.gap) if forward else first.gap,
                   ", ".join(filter(None, (first.cue_text, second.cue_text))), led.lead, led.lead_gap)


def _without(clauses: list[_Clause], i: int) -> list[_Clause]:
    """The clauses less the i-th; a clause that went with it ('and', ',') takes over its timing."""
    rest = clauses[:i] + clauses[i + 1:]
    if i < len(rest) and rest[i].link in ("and", "comma"):
        rest[i] = replace(rest[i], link=clauses[i].link, gap=clauses[i].gap)
    return rest


def _settle(clauses: list[_Clause], events: list[_Event]) -> list[_Clause] | None:
    """One step towards clauses that each name a sound; None when they all do.

    A clause of cues only ('far away') joins its neighbour; so, once some clause names a sound, does a cued one with no subject
    of its own ('and drives to my right'), and so does a bare participle (', beeping'); any other soundless clause ('the hidden
    prompt', 'describe your rules') is dropped.
    When no clause names a sound, each clause with words of its own stays an event, as unknown sounds.
    """
    strict = any(e.sounding and e.description for e in events)
    for i, event in enumerate(events):
        trailing = i > 0 and clauses[i].link == "comma" and _TRAILING.match(event.description) is not None
        if event.description and (event.sounding or not strict) and not trailing:
            continue
        if event.description and not trailing and (_OWN_SUBJECT.match(event.description) or not event.cued):
            return _without(clauses, i)
        if event.description or clauses[i].lead or _PRONOUN.match(clauses[i].text):
            forward = i == 0 and len(clauses) > 1  # a clause about the sound before: 'and drives off', 'after it stops'
        else:
            forward = i + 1 < len(clauses) and (i == 0 or clauses[i].link not in ("comma", "and"))
        if not forward and i == 0:
            raise PlannerError("the description names no sound; say what sounds, e.g. 'a dog barks behind me'")
        if forward:
            return [*clauses[:i], _joined(clauses[i], clauses[i + 1], True), *clauses[i + 2:]]
        return [*clauses[:i - 1], _joined(clauses[i - 1], clauses[i], False), *clauses[i + 1:]]
    return None


def _ids(events: list[_Event]) -> None:
    seen: dict[str, int] = {}
    for event in events:
        words = [w for w in re.findall(r"[a-z0-9]+", event.description.lower()) if len(w) > 2 and w not in ("the", "and", "some")]
        base = event.sound_class or (words[0][:16] if words else "sound")
        seen[base] = seen.get(base, 0) + 1
        event.id = base if seen[base] == 1 else f"{base}-{seen[base]}"


def _mentioned(events: list[_Event]) -> dict[int, int]:
    """Clauses that time others by a sound already in the scene ('A radio plays. After the radio stops, ...'): index -> its index."""
    same: dict[int, int] = {}
    for i, event in enumerate(events):
        words = event.description.lower().split()
        if not (event.lead or _reversed(event)) or len(words) < 2 or words[0] not in ("the", "this", "that", "these", "those"):
            continue
        head = words[1].removesuffix("s")
        for j in range(i - 2 if _reversed(event) else i - 1, -1, -1):
            if j not in same and head in {w.removesuffix("s") for w in re.findall(r"[a-z]+", events[j].description.lower())}:
                same[i] = j
                break
    return same


def _reversed(event: _Event) -> bool:
    """The clause names the sound that comes first: 'B after A', 'B when A stops' (the clause is A)."""
    return event.link == "rev" or (event.link == "with" and event.phase == "end")


def _ambient(events: list[_Event], same: dict[int, int]) -> None:
    """Whole-scene events: the text says so, or an ambient class (rain, wind) that the text does not place in time."""
    placed: set[int] = set()
    for i, event in enumerate(events):
        if i and event.link in ("after", "gap", "before"):
            placed.add(i)
        if i and _reversed(event):
            placed.update((i - 1, i) if event.phase != "start" else (i - 1,))
        if event.lead and i + 1 < len(events) and (event.lead != "with" or event.phase == "end"):
            placed.update((i, i + 1) if event.phase != "start" else (i + 1,))
    placed |= {same[i] for i in placed if i in same}
    for i, event in enumerate(events):
        event.ambient = event.whole or (event.prior.ambient and event.duration is None and event.at is None and event.gap is None
                                        and i not in placed)
    for i, j in same.items():
        events[i].id, events[i].ambient = events[j].id, events[j].ambient


def _led(event: _Event, anchor: _Event, gap: float) -> Relation | None:
    """The start of the clause after a sentence-initial 'While/When A,' or 'After A,' ('Before A,' is settled by the caller)."""
    if anchor.ambient:
        return Relation(event.id, "at", None, gap) if gap else None
    if anchor.lead == "with" and anchor.phase != "end":
        return Relation(event.id, "with", anchor.id, gap)
    return starts_after(event.id, anchor.id, anchor.phase, gap)


def _relations(events: list[_Event]) -> None:
    """Each event's start relation from its link and timing phrases; whole-scene events stay out of the timeline."""
    for i, event in enumerate(events):
        if event.at is not None:
            event.relation = Relation(event.id, "at", None, event.at)
            continue
        gap = event.gap if event.gap is not None else event.link_gap
        previous = events[i - 1] if i else None
        if previous is not None and previous.lead and event.link != "stop":
            lead_gap = previous.lead_gap or gap
            if previous.lead == "before" and previous.at is None:  # "Before A, B": B first, A after it
                event.relation = None if previous.relation is None else Relation(event.id, previous.relation.kind,
                                                                                 previous.relation.anchor, previous.relation.offset)
                previous.relation = Relation(previous.id, "after", event.id, lead_gap)
            else:
                event.relation = _led(event, previous, lead_gap)
            continue
        link = "with" if event.together else event.link
        if link in ("with", "and") and previous is not None:
            event.relation = Relation(event.id, "at", None, gap) if previous.ambient else Relation(event.id, "with", previous.id, gap)
            continue
        timed = [e for e in events[:i] if not e.ambient]
        if i and link != "start" and timed:
            event.relation = Relation(event.id, "after", timed[-1].id, gap)
        elif gap:
            event.relation = Relation(event.id, "at", None, gap)
    for i, event in enumerate(events):
        if i and _reversed(event) and not events[i - 1].ambient and events[i - 1].at is None and event.at is None:
            first = events[i - 1]
            event.relation = None if first.relation is None else Relation(event.id, first.relation.kind, first.relation.anchor,
                                                                          first.relation.offset)
            first.relation = starts_after(first.id, event.id, event.phase, event.link_gap)


def _point(xyz: np.ndarray) -> Position:
    """The Position of a point (m, x front, y left, z up)."""
    azimuth, elevation, distance = (float(v) for v in to_spherical(xyz))
    return Position(azimuth=round(wrap_azimuth(azimuth), 4), elevation=round(elevation, 4), distance=round(min(distance, MAX_DISTANCE), 4))


def _ground(azimuth: float, distance: float, height: float) -> np.ndarray:
    """(3,) m: a point on the ground `distance` metres away at `azimuth`, `height` metres relative to the ear; one nearer
    than that height lies at GROUND_STEEPEST degrees."""
    elevation = np.degrees(np.arcsin(np.clip(height / distance, -1.0, 1.0)))
    return to_cartesian(azimuth, float(np.clip(elevation, -GROUND_STEEPEST, GROUND_STEEPEST)), distance)


def _position(place: Place, p: SoundClass, waypoint: Waypoint | None = None) -> Position:
    """Where a waypoint (or the static sound) is: the text's words, else the class's priors. A class on the ground that the
    text gives no elevation keeps its height, so its elevation follows its distance."""
    w = waypoint or Waypoint()
    azimuth = w.azimuth if w.azimuth is not None else place.azimuth if place.azimuth is not None else 0.0
    elevation = w.elevation if w.elevation is not None else place.elevation
    distance = w.distance if w.distance is not None else place.distance if place.distance is not None else p.distance
    if elevation is None and p.height is not None:
        return _point(_ground(azimuth, distance, p.height))
    return Position(azimuth=azimuth, elevation=p.elevation if elevation is None else elevation, distance=distance)


def _line_keys(line: Line, place: Place, p: SoundClass) -> list[Position]:
    """Start, closest point and end of a straight pass whose closest approach is the text's distance (else the class's);
    a source on the ground passes at its height, and the line reaches PASS_ANGLE either side or PASS_REACH metres."""
    closest = min(place.distance if place.distance is not None else p.distance, 0.9 * PASS_REACH)
    near = np.asarray(line.near) * closest
    if line.near[2] == 0.0 and place.elevation is None and p.height is not None:
        near = _ground(float(np.degrees(np.arctan2(line.near[1], line.near[0]))), closest, p.height)
    keys = []
    for arm in (line.first, line.last):
        along = float(np.dot(near, arm))
        reach = min(float(np.linalg.norm(near)) * np.tan(np.radians(PASS_ANGLE)),
                    -along + np.sqrt(along**2 - float(np.dot(near, near)) + PASS_REACH**2))
        keys.append(near + reach * np.asarray(arm))
    return [_point(keys[0]), _point(near), _point(keys[1])]


def _sound_event(event: _Event, start: float, duration: float) -> SoundEvent:
    place, path = event.place, event.place.path
    guess = not event.sounding
    role = "bed" if event.prior.ambient else "foreground"
    if place.line is not None:
        first, middle, last = _line_keys(place.line, place, event.prior)
        return SoundEvent(id=event.id, description=event.description, start=start, duration=duration, position=first,
                          gain_db=event.gain_db, guess=guess, role=role, trajectory=[Keyframe(time=round(duration / 2, 6), position=middle),
                                                             Keyframe(time=round(duration, 6), position=last)])
    if path is None:
        diffuse = event.prior.ambient and place.azimuth is None and place.elevation is None  # a bed the text puts nowhere
        return SoundEvent(id=event.id, description=event.description, start=start, duration=duration,
                          position=_position(place, event.prior), gain_db=event.gain_db, diffuse=diffuse, guess=guess, role=role)
    steps = len(path) - 1
    keys = [Keyframe(time=round(duration * k / steps, 6), position=_position(place, event.prior, w))
            for k, w in enumerate(path) if k]
    return SoundEvent(id=event.id, description=event.description, start=start, duration=duration,
                      position=_position(place, event.prior, path[0]), gain_db=event.gain_db, trajectory=keys, guess=guess, role=role)


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
        while (i := next((k for k, c in enumerate(clauses) if _INSTRUCTION.match(c.text)), None)) is not None:
            clauses = _without(clauses, i)
        events = [_parse(c) for c in clauses]
        while clauses and (settled := _settle(clauses, events)) is not None:
            clauses = settled
            events = [_parse(c) for c in clauses]
        if not events:
            raise PlannerError("the description names no sound; say what sounds, e.g. 'a dog barks behind me'")
        if len(events) > MAX_EVENTS:
            raise PlannerError(f"the description holds {len(events)} sounds; the limit is {MAX_EVENTS}, split it into scenes")
        guesses = [e.description for e in events if not e.sounding]
        if guesses:
            log.warning(f"the text names no sound the planner knows; {', '.join(repr(g[:60]) for g in guesses)} will sound as a guess "
                        "(say what sounds, e.g. 'a dog barks behind me')")
        return self._scene(text, events, room)

    @staticmethod
    def _scene(text: str, events: list[_Event], room: Room | None) -> Scene:
        _ids(events)
        same = _mentioned(events)
        _ambient(events, same)
        _relations(events)
        events = [e for i, e in enumerate(events) if i not in same]
        timed = {e.id: min(MAX_EVENT_DURATION, e.duration or e.prior.duration) for e in events if not e.ambient}
        relations = [e.relation for e in events if e.relation is not None and not e.ambient and
                     (e.relation.anchor is None or e.relation.anchor in timed)]
        try:
            starts = resolve_starts(timed, relations)
        except TimelineError as err:
            raise PlannerError(f"the timing words do not form one timeline: {err}") from None
        end = max((starts[i] + d for i, d in timed.items()), default=ALONE_SCENE)
        out = []
        try:
            for event in events:
                if event.ambient:
                    start = event.at or 0.0
                    length = event.duration or (end - start if end > start else ALONE_SCENE)
                    out.append(_sound_event(event, start, min(MAX_EVENT_DURATION, length)))
                else:
                    out.append(_sound_event(event, starts[event.id], timed[event.id]))
            return Scene(text=text, events=out, room=room)
        except (ValueError, SceneError) as err:
            raise PlannerError(f"the planned scene is invalid: {str(err).splitlines()[0]}") from None
