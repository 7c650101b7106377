"""Commonsense priors per sound class: where a sound usually is and how long it lasts when the text is silent.

`classify("a dog barks")` -> 'dog'; `prior('dog')` -> Prior(elevation=-20, distance=2.5, duration=2, ...).
Elevation in degrees (+ up), distance in metres, duration in seconds; `ambient` sounds (rain, wind)
span the whole scene unless the text gives them a duration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Prior:
    """Default placement and length of a sound class."""

    elevation: float = 0.0
    distance: float = 2.0
    duration: float = 3.0
    ambient: bool = False

    @property
    def airborne(self) -> bool:
        return self.elevation >= 30.0


DEFAULT = Prior()

# class -> (keyword stems, matched as whole words with common endings), prior; more specific classes first.
_CLASSES: list[tuple[str, str, Prior]] = [
    ("helicopter", r"helicopter|chopper", Prior(35.0, 40.0, 8.0)),
    ("aircraft", r"plane|airplane|aeroplane|aircraft|jet|airliner|flyover|fighter jet", Prior(60.0, 80.0, 8.0)),
    ("thunder", r"thunder|thunderclap|thunderstorm|lightning", Prior(45.0, 60.0, 4.0)),
    ("doorbell", r"doorbell", Prior(10.0, 6.0, 2.0)),
    ("chimes", r"wind chime|chime|glockenspiel|triangle", Prior(20.0, 3.0, 4.0)),
    ("bell", r"church bell|bell|gong|toll", Prior(30.0, 25.0, 4.0)),
    ("rain", r"rain|rainfall|drizzle|downpour|raindrop|shower", Prior(30.0, 3.0, 10.0, ambient=True)),
    ("wind", r"wind|breeze|gust|gale", Prior(10.0, 5.0, 10.0, ambient=True)),
    ("ocean", r"ocean|sea|wave|surf|seashore|tide", Prior(-10.0, 20.0, 10.0, ambient=True)),
    ("stream", r"stream|river|brook|creek|waterfall|fountain|running water|flowing water|trickle", Prior(-20.0, 8.0, 10.0, ambient=True)),
    ("traffic", r"traffic|highway|motorway", Prior(0.0, 30.0, 10.0, ambient=True)),
    ("crowd", r"crowd|chatter|murmur|audience", Prior(0.0, 8.0, 10.0, ambient=True)),
    ("crickets", r"cricket|cicada|grasshopper", Prior(-20.0, 6.0, 10.0, ambient=True)),
    ("siren", r"siren|ambulance|police car|fire truck|fire engine", Prior(0.0, 30.0, 6.0)),
    ("horn", r"horn|honk|klaxon", Prior(0.0, 10.0, 1.0)),
    ("phone", r"phone|telephone|cellphone|smartphone|mobile|ringtone", Prior(-15.0, 0.8, 3.0)),
    ("alarm", r"alarm|beep|buzzer|smoke detector|timer", Prior(20.0, 3.0, 3.0)),
    ("clock", r"clock|tick|tock|ticking|metronome", Prior(15.0, 2.0, 4.0)),
    ("dog", r"dog|puppy|puppies|hound|bark|woof|yelp|growl|wolf|wolves|howl", Prior(-20.0, 2.5, 2.0)),
    ("cat", r"cat|kitten|meow|purr", Prior(-20.0, 1.5, 2.0)),
    ("owl", r"owl|hoot", Prior(35.0, 10.0, 2.0)),
    ("rooster", r"rooster|cockerel|cock-a-doodle-doo", Prior(0.0, 15.0, 2.0)),
    ("bird", r"bird|birdsong|songbird|chirp|tweet|sparrow|robin|blackbird|finch|warble|nightingale|seagull|gull|pigeon|crow|canary|woodpecker|parrot|duck|quack|goose|geese|hawk|eagle|cuckoo|caw",
     Prior(35.0, 8.0, 3.0)),
    ("insect", r"bee|wasp|hornet|mosquito|fly|flies|insect|buzz|gnat", Prior(10.0, 0.6, 3.0)),
    ("cow", r"cow|moo|cattle|sheep|bleat|goat|horse|neigh|pig|oink", Prior(0.0, 12.0, 2.0)),
    ("machine", r"lawnmower|lawn mower|mower|chainsaw|drill|vacuum|hoover|blender|saw|hammer|washing machine|dishwasher|fan",
     Prior(0.0, 4.0, 5.0)),
    ("ball", r"ball|basketball|football", Prior(-30.0, 2.0, 2.0)),
    ("footsteps", r"footstep|footfall|step|walk|stomp|tread|pace|stair|jog|heel|run", Prior(-30.0, 2.0, 4.0)),
    ("knock", r"knock|rap|tap|bang|thump|pound", Prior(0.0, 3.0, 1.5)),
    ("door", r"door|creak|hinge|gate", Prior(0.0, 3.0, 2.0)),
    ("glass", r"glass|shatter|smash|bottle", Prior(-10.0, 3.0, 1.0)),
    ("typing", r"typing|type|keyboard|typewriter|keystroke", Prior(-20.0, 1.0, 4.0)),
    ("car", r"car|truck|lorry|bus|van|vehicle|motorcycle|motorbike|engine|motor", Prior(0.0, 8.0, 5.0)),
    ("train", r"train|railway|locomotive|tram", Prior(0.0, 30.0, 8.0)),
    ("bicycle", r"bicycle|bike|cyclist", Prior(0.0, 4.0, 2.0)),
    ("gunshot", r"gun|gunshot|gunfire|shot|rifle|pistol", Prior(0.0, 30.0, 1.0)),
    ("explosion", r"explosion|explode|blast|bomb|firework", Prior(10.0, 50.0, 3.0)),
    ("fire", r"fire|campfire|fireplace|bonfire|crackle|flame", Prior(-20.0, 2.0, 8.0)),
    ("drip", r"drip|droplet|faucet|leak", Prior(-10.0, 2.0, 4.0)),
    ("applause", r"applause|applaud|clap|clapping|cheer|ovation", Prior(0.0, 6.0, 4.0)),
    ("baby", r"baby|infant|toddler", Prior(-10.0, 2.0, 3.0)),
    ("laughter", r"laugh|laughter|giggle|chuckle", Prior(0.0, 2.0, 2.0)),
    ("whisper", r"whisper", Prior(0.0, 0.5, 2.0)),
    ("speech", r"speech|speak|talk|voice|conversation|says|said|shout|yell|scream|call|sing|singer|man|woman|child|person|someone"
     r"|people|announcer|narrator", Prior(0.0, 2.0, 3.0)),
    ("music", r"music|piano|guitar|violin|cello|drum|flute|trumpet|saxophone|orchestra|band|melody|song", Prior(0.0, 3.0, 6.0)),
]
_ENDINGS = r"(?:s|es|ed|d|ing|er|ers|ling)?"
_PATTERNS = [(name, re.compile(rf"\b(?:{stems}){_ENDINGS}\b", re.IGNORECASE), p) for name, stems, p in _CLASSES]
_OCLOCK = re.compile(r"o\s*['’]?\s*clock", re.IGNORECASE)
PRIORS: dict[str, Prior] = {name: p for name, _, p in _CLASSES}


def classify(description: str) -> str | None:
    """The sound class a description names first in priority order, or None."""
    description = _OCLOCK.sub(" ", description)
    for name, pattern, _ in _PATTERNS:
        if pattern.search(description):
            return name
    return None


def prior(sound_class: str | None) -> Prior:
    """The prior of a class; DEFAULT (ahead, ear level, 2 m, 3 s) for an unknown one."""
    return PRIORS.get(sound_class or "", DEFAULT)
