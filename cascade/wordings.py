"""Five wordings of each sound class's plain prompt, and which of them the learned models never see in training.

The learned models (the end-to-end DiTs and the `flow` mono generator) train on the first four wordings of a
class; the fifth is held out, so the comparison benchmark can ask how a model does on a wording it never read.

    wordings("dog")           # ('a dog barks', 'a dog is barking', ..., 'barking from a dog')
    seen_wordings("dog")      # the first four
    held_out_wording("dog")   # the fifth
    class_of("a barking dog") # 'dog'
"""

from __future__ import annotations

from cascade.taxonomy import BY_NAME

HELD_OUT = 1  # wordings per class never used in training: the last one of five

_EXTRA: dict[str, tuple[str, str, str, str]] = {
    "helicopter": ("a helicopter is flying", "the thudding rotor of a helicopter", "a chopper flies by", "helicopter blades whirring"),
    "aircraft": ("a plane flies over", "a jet airliner roars", "an aircraft passes", "the roar of a jet plane"),
    "thunder": ("a thunderclap", "thunder is rumbling", "rolling thunder", "the rumble of a distant storm"),
    "doorbell": ("the doorbell rings", "a doorbell chimes", "someone rings the doorbell", "a ding-dong at the door"),
    "chimes": ("wind chimes are tinkling", "chimes ring softly", "tinkling wind chimes", "a gentle chime in the breeze"),
    "bell": ("a church bell rings", "a large bell tolls", "the toll of a bell", "a bell ringing in a tower"),
    "rain": ("it is raining", "rain is pouring", "steady rainfall", "raindrops pattering down"),
    "wind": ("wind is blowing", "a gusty wind", "the howl of the wind", "wind gusting outside"),
    "ocean": ("waves crash on the shore", "the ocean surf", "sea waves breaking", "surf rolling on a beach"),
    "stream": ("a stream is flowing", "a babbling brook", "water running in a creek", "a little river trickling"),
    "traffic": ("traffic noise in the city", "cars in busy traffic", "the hum of city traffic", "a busy road full of cars"),
    "applause": ("people clapping", "an audience claps", "a round of applause", "a crowd applauding"),
    "crowd": ("a crowd is chattering", "a murmuring crowd", "many people talking", "the chatter of a crowd"),
    "cricket": ("a cricket chirps", "crickets are chirping", "chirping crickets at night", "the chirp of crickets"),
    "siren": ("a siren is wailing", "an ambulance siren", "a police siren wails", "the wail of a siren"),
    "horn": ("a car honks", "a horn is honking", "the honk of a car horn", "a driver honks the horn"),
    "phone": ("a phone rings", "the telephone is ringing", "a ringing phone", "an old phone ringing"),
    "alarm": ("an alarm is beeping", "a beeping alarm", "an alarm clock beeps", "the beep of an alarm"),
    "clock": ("a clock is ticking", "the tick of a clock", "a ticking clock", "a wall clock ticking"),
    "dog": ("a dog is barking", "a barking dog", "a dog barks loudly", "barking from a dog"),
    "cat": ("a cat is meowing", "a meowing cat", "the meow of a cat", "a kitten meows"),
    "owl": ("an owl is hooting", "the hoot of an owl", "a hooting owl", "an owl calls at night"),
    "rooster": ("a rooster is crowing", "a cockerel crows", "the crow of a rooster", "a crowing rooster at dawn"),
    "bird": ("a bird is singing", "birdsong", "a chirping bird", "a songbird chirps"),
    "mosquito": ("a mosquito is buzzing", "the whine of a mosquito", "a whining mosquito", "a mosquito buzzes nearby"),
    "insect": ("a bee is buzzing", "a buzzing insect", "the buzz of a bee", "a fly buzzes around"),
    "farm_animal": ("a cow is mooing", "the moo of a cow", "cattle mooing", "a cow lows in a field"),
    "machine": ("a lawnmower is running", "a running lawn mower", "the drone of a lawnmower", "a machine whirring"),
    "ball": ("a ball is bouncing", "a bouncing ball", "someone bounces a ball", "the thud of a bouncing ball"),
    "footsteps": ("someone walks", "footsteps on the floor", "a person walking", "the sound of steps"),
    "knock": ("someone knocks on a door", "a knock at the door", "knocking on wood", "a few knocks"),
    "door": ("a door is creaking", "a creaky door opens", "the creak of a door", "an old door swings open"),
    "glass": ("a glass breaks", "glass is shattering", "breaking glass", "a window shatters"),
    "typing": ("someone is typing", "typing on a keyboard", "keyboard clicks", "fingers tapping keys"),
    "engine": ("an engine is idling", "an idling engine", "a motor running", "the rumble of an engine"),
    "car": ("a car passes by", "a car goes past", "a passing car", "a car drives by on the road"),
    "train": ("a train goes by", "a passing train", "a train rolls past", "the rumble of a train"),
    "bicycle": ("a bike bell rings", "a bicycle bell", "the ring of a bicycle bell", "a cyclist rings a bell"),
    "gunshot": ("a gun fires", "a shot is fired", "a single gunshot", "the bang of a gun"),
    "explosion": ("something explodes", "a loud explosion", "a bomb goes off", "a blast"),
    "fire": ("a fire is crackling", "a crackling fire", "a campfire crackles", "flames crackling"),
    "drip": ("water is dripping", "dripping water", "a tap drips", "drops of water falling"),
    "baby": ("a baby is crying", "a crying baby", "an infant cries", "a baby wails"),
    "laughter": ("someone is laughing", "a person laughs", "laughter", "a burst of laughter"),
    "whisper": ("someone is whispering", "a quiet whisper", "a person whispers", "whispering voices"),
    "speech": ("a man speaks", "someone is talking", "a person talks", "a voice speaking"),
    "music": ("music is playing", "a piece of music", "a song plays", "a melody playing"),
}


def class_of(wording: str) -> str:
    """The class a wording belongs to (KeyError for a text that is none of the wordings)."""
    return _CLASS_OF[wording]


def wordings(name: str) -> tuple[str, ...]:
    """The class's five wordings: its taxonomy prompt first, then four more."""
    return (BY_NAME[name].prompt, *_EXTRA[name])


def seen_wordings(name: str) -> tuple[str, ...]:
    """The wordings the learned models train on."""
    return wordings(name)[:-HELD_OUT]


def held_out_wording(name: str) -> str:
    """The wording no learned model saw in training."""
    return wordings(name)[-1]


_CLASS_OF = {w: name for name in _EXTRA for w in wordings(name)}
