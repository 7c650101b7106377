"""The sound classes every stage agrees on: their words, where they usually are, how long they last, and
which procedural signal model makes them.

    classify("a dog barks behind me")   # 'dog'
    sound_class("dog").elevation         # -20.0 (degrees; dogs are below the ears)

A class is found by the words of a description: each of its word groups adds its weight once per
whole-word match (with common inflections), the highest total of at least MIN_SCORE wins, and a tie goes
to the class listed first (specific before general). Priors: elevation in degrees (+ up), distance in metres, duration in
seconds, and for sources on the ground their height relative to the ear (m; their elevation then follows
their distance); `ambient` classes (rain, wind) are beds that span the scene unless the text gives them a length.
The planners' prompt for language models is generated from this table too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

TEXTURE = "texture"  # the procedural model for anything no class matches: filtered noise
_INFLECTION = r"(?:s|es|ed|d|ing|er|ers|ling)?"
MIN_SCORE = 2.0  # a class needs one of its own words (weight 2 or more), or several weak ones


@dataclass(frozen=True)
class SoundClass:
    """One class: `words` maps a weight to stems (regular expressions, matched as whole words with inflections)."""

    name: str
    prompt: str  # a plain description of it, e.g. 'a dog barks' (dataset captions; classify(prompt) == name)
    synth: str  # the procedural signal model that makes it
    elevation: float = 0.0
    distance: float = 2.0
    duration: float = 3.0
    ambient: bool = False
    words: dict[float, str] = field(default_factory=dict, compare=False)
    height: float | None = None  # m relative to the ear of a source on the ground; its elevation then follows its distance

    @property
    def airborne(self) -> bool:
        return self.elevation >= 30.0

    @cached_property
    def patterns(self) -> list[tuple[float, re.Pattern[str]]]:
        return [(weight, re.compile(rf"\b(?:{stems}){_INFLECTION}\b", re.IGNORECASE)) for weight, stems in self.words.items()]

    def score(self, text: str) -> float:
        """Sum of weights over whole-word matches in `text`."""
        return sum(weight * len(pattern.findall(text)) for weight, pattern in self.patterns)


C = SoundClass
CLASSES: tuple[SoundClass, ...] = (
    C("helicopter", "a helicopter flies", "helicopter", 35, 40, 8, words={3: "helicopter|chopper|rotor"}),
    C("aircraft", "an airplane flies", "aircraft", 60, 80, 8,
      words={3: "fighter jet|airliner", 2: "plane|airplane|aeroplane|aircraft|jet|flyover|fly ?by", 1: "airport|take ?off"}),
    C("thunder", "thunder rumbles", "thunder", 45, 60, 4, words={2: "thunder|thunderstorm|thunderclap|lightning", 1: "storm|rumble"}),
    C("doorbell", "a doorbell rings", "bell", 10, 6, 2, words={3: "doorbell"}),
    C("chimes", "wind chimes tinkle", "bell", 20, 3, 4, words={3: "wind ?chime|glockenspiel", 2: "chime|triangle"}),
    C("bell", "a church bell tolls", "bell", 30, 25, 4,
      words={2: "bell|church|cathedral|carillon|gong|toll", 1: "ring|rang|ding|dong"}),
    C("rain", "rain falls", "rain", 30, 3, 10, True, words={2: "rain|rainfall|raindrop|rainstorm|drizzl|downpour|shower"}),
    C("wind", "the wind blows", "wind", 10, 5, 10, True, words={2: "wind|windy|breeze|gust|gale", 1: "howl|blow|blowing"}),
    C("ocean", "ocean waves crash", "ocean", -10, 20, 10, True,
      words={2: "ocean|sea|seaside|wave|surf|beach|shore|seashore|tide|breaker"}),
    C("stream", "a stream flows", "stream", -20, 8, 10, True,
      words={3: "running water|flowing water|water running|water flowing",
             2: "stream|river|brook|creek|waterfall|fountain|trickl|burbl", 1: "water|flow|babbl"}),
    C("traffic", "city traffic", "car", 0, 30, 10, True, words={2: "traffic|highway|motorway"}),
    C("applause", "an audience applauds", "applause", 0, 6, 4,
      words={2: "applau(?:d|ds|ded|se)|applauding|clap|clapp(?:ed|ing)|ovation|cheer", 1: "audience"}),
    C("crowd", "a crowd chatters", "crowd", 0, 8, 10, True,
      words={2: "crowd|people|chatter|restaurant|cafe|café|market|party|stadium|pub|crowded|busy", 1: "murmur|audience|bar"}),
    C("cricket", "crickets chirp", "cricket", -20, 6, 10, True, words={2: "cricket|cicada|grasshopper"}),
    C("siren", "a siren wails", "siren", 0, 30, 6,
      words={3: "siren|ambulance|police car|fire ?truck|fire engine|emergency vehicle|cop car|wail", 1: "emergency|police"}),
    C("horn", "a car horn honks", "horn", 0, 10, 1, words={3: "car horn|horn|hooter|klaxon|toot", 2: "honk"}),
    C("phone", "a telephone rings", "phone", -15, 0.8, 3,
      words={2: "phone|telephone|cellphone|smartphone|mobile|ringtone", 1: "ring|rang|call"}),
    C("alarm", "an alarm beeps", "alarm", 20, 3, 3,
      words={3: "fire alarm|smoke alarm|alarm clock|smoke detector", 2: "alarm|beep|bleep|buzzer|timer|microwave"}),
    C("clock", "a clock ticks", "clock", 15, 2, 4,
      words={2: "clock|tick|tock|ticktock|tick-tock|metronome|wristwatch|pocket watch|grandfather clock"}),
    C("dog", "a dog barks", "dog", -20, 2.5, 2,
      words={2: "dog|doggy|pupp(?:y|ies)|hound|bark|yelp|woof|growl|wolf|wolves|bow ?wow", 1: "howl"}, height=-1.1),
    C("cat", "a cat meows", "cat", -20, 1.5, 2, words={2: "cat|kitten|kitty|kitties|meow|miaow|mew|purr"}, height=-1.4),
    C("owl", "an owl hoots", "bird", 35, 10, 2, words={3: "owl|hoot"}),
    C("rooster", "a rooster crows", "bird", 0, 15, 2, words={3: "rooster|cockerel|cock-a-doodle-doo"}),
    C("bird", "a bird chirps", "bird", 35, 8, 3,
      words={3: "goose|geese|duck|quack", 2: "bird|birdsong|songbird|chirp|tweet|sparrow|robin|blackbird|finch|warbl|nightingale"
             "|seagull|gull|pigeon|crow|canary|woodpecker|parrot|hawk|eagle|cuckoo|caw|twitter"}),
    C("mosquito", "a mosquito whines", "mosquito", 10, 0.6, 3, words={3: "mosquito(?:e?s)?|gnat", 1: "whine"}),
    C("insect", "a bee buzzes", "insect", 10, 0.6, 3, words={2: "bee|bumblebee|wasp|hornet|insect|swarm", 1: "buzz|fly|flies"}),
    C("farm_animal", "a cow moos", TEXTURE, 0, 12, 2, words={2: "cow|moo|cattle|sheep|bleat|goat|horse|neigh|pig|oink"}),
    C("machine", "a lawnmower runs", "engine", 0, 4, 5,
      words={2: "lawnmower|lawn mower|mower|chainsaw|drill|vacuum|hoover|blender|saw|hammer|washing machine|dishwasher|fan"}),
    C("ball", "a ball bounces", "knock", -30, 2, 2, words={2: "ball|basketball|football"}, height=-1.4),
    C("footsteps", "footsteps", "footsteps", -30, 2, 4,
      words={2: "footstep|footfall|step|stepp(?:ed|ing)|walk|stroll|march|stomp|tread|pac(?:e|es|ed|ing)|stair|run|runs|running|jog|heel"}, height=-1.6),
    C("knock", "someone knocks", "knock", 0, 3, 1.5,
      words={2: "knock|rap|rapp(?:ed|ing)|pound|bang|thump|slam|slamm(?:ed|ing)", 1: "tap|door"}),
    C("door", "a door creaks", "door", 0, 3, 2, words={2: "door|creak|creaky|squeak|squeaky|hinge|gate", 1: "open|opens"}),
    C("glass", "glass shatters", "glass", -10, 3, 1,
      words={2: "glass|shatter|smash|window pane|bottle|crash", 1: "break|breaks|broke|broken"}),
    C("typing", "someone types on a keyboard", "typing", -20, 1, 4,
      words={2: "typ(?:e|es|ed|ing)|typist|keyboard|typewriter|keystroke", 1: "keys|computer"}),
    C("engine", "an engine idles", "engine", 0, 8, 5, words={2: "engine|motor|idl(?:e|es|ed|ing)|tractor|generator|rev"}),
    C("car", "a car drives past", "car", 0, 8, 5,
      words={2: "car|truck|lorry|bus|buses|van|vehicle|motorcycle|motorbike|automobile|scooter|moped",
             1: "driv(?:e|es|ing)|drove|pass|passes|past|zoom|speed|road|street"}, height=-1.1),
    C("train", "a train passes", "engine", 0, 30, 8, words={2: "train|railway|locomotive|tram"}, height=-0.6),
    C("bicycle", "a bicycle bell rings", "bicycle", 0, 4, 2, words={2: "bicycle|bike|cyclist", 1: "bell|ring|rang|ding"}, height=-0.6),
    C("gunshot", "a gunshot", "gunshot", 0, 30, 1, words={2: "gun|gunshot|gunfire|shot|shoot|rifle|pistol|revolver|bullet"}),
    C("explosion", "an explosion", "explosion", 10, 50, 3,
      words={2: "explo(?:sion|de|des|ded|ding)|blast|bomb|boom|detonat(?:e|es|ed|ion)|grenade|firework|kaboom"}),
    C("fire", "a fire crackles", "fire", -20, 2, 8,
      words={2: "fire|fireplace|campfire|bonfire|flame|crackl|blaze|ember|burning|hearth"}),
    C("drip", "water drips", "drip", -10, 2, 4, words={2: "drip|dripp(?:ed|ing)|droplet|leak|leaky|faucet", 1: "drop|tap|sink"}),
    C("baby", "a baby cries", "speech", -10, 2, 3, words={2: "baby|infant|toddler"}),
    C("laughter", "someone laughs", "speech", 0, 2, 2, words={2: "laugh|laughter|giggl|chuckl"}),
    C("whisper", "someone whispers", "speech", 0, 0.5, 2, words={2: "whisper"}),
    C("speech", "a woman speaks", "speech", 0, 2, 3,
      words={2: "speech|speak|spoke|talk|voice|conversation|chat|chatting|say|says|said|shout|yell|scream|sing|singer|narrat(?:e|es|or|ing)"
             "|lecture|announc(?:e|es|er|ement)|mumbl|babble|call",
             0.5: "man|woman|men|women|person|someone|child|children|kid|boy|girl"}),
    C("music", "music plays", TEXTURE, 0, 3, 6,
      words={2: "music|piano|guitar|violin|cello|drum|flute|trumpet|saxophone|orchestra|band|melody|song"}),
)
DEFAULT = SoundClass("sound", "a sound", TEXTURE)  # a description no class matches: ahead, ear level, 2 m, 3 s
BY_NAME: dict[str, SoundClass] = {c.name: c for c in CLASSES}
_OCLOCK = re.compile(r"o\s*['’]?\s*clock", re.IGNORECASE)


def classify(description: str) -> str | None:
    """The class whose words best match `description` (ties: the class listed first), or None when no class
    reaches MIN_SCORE (a verb alone, 'drives off', names no class)."""
    text = _OCLOCK.sub(" ", description)
    best, best_score = None, MIN_SCORE - 1e-9
    for sound in CLASSES:
        score = sound.score(text)
        if score > best_score:
            best, best_score = sound.name, score
    return best


def sound_class(name: str | None) -> SoundClass:
    """The class called `name`; DEFAULT for None or an unknown name."""
    return BY_NAME.get(name or "", DEFAULT)


def priors_table() -> str:
    """One line per class, 'name: elevation E°, D m, T s[, ambient]', for prompts and documentation."""
    return "\n".join(f"- {c.name} ({c.prompt}): elevation {c.elevation:g}, distance {c.distance:g} m, {c.duration:g} s"
                     + (", a background bed" if c.ambient else "") for c in CLASSES)
