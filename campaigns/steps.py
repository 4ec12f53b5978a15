"""The scenario's steps as a spec line may spell them (`steps=kv:40+step:1+
kv:12+watch:70+verify:kv`): the words the guest's scenario driver runs
(os/commands/scenario/main.c, run_step), each checked here before any
machine starts. campaigns/scenario.py writes the same words when it plans
an experiment from its fault alone; a line with `steps=` runs exactly its
own list instead, which is how a minimised reproducer (campaigns/minimize.py)
keeps a shorter load and fewer steps in an ordinary spec line."""

from typing import List, Optional, Tuple

from faultinj import contract

PERIOD_MAX = contract.CONSTS["RS_PERIOD_MAX"]     # RS refuses a longer period
# step word -> what follows its colon: a count (requests, ticks, the fault
# step's number), a service label, an optional victim, or nothing
COUNT, LABEL, TARGET, NONE = "count", "label", "target", "none"
WORDS = {
    "kv": COUNT, "echo": COUNT,          # N workload requests to that victim
    "step": COUNT,                       # faults armed from step N go live
    "watch": COUNT,                      # sleep N ticks (RS may notice meanwhile)
    "period": COUNT,                     # RS's default heartbeat period := N ticks
    "gcov": COUNT,                       # dump coverage, then wait N ticks
    "verify": TARGET,                    # read back every acknowledged item
    "probe": NONE,                       # ask every service it is whole
    "update": LABEL, "down": LABEL, "up": LABEL, "restart": LABEL, "refresh": LABEL,
}
COUNT_MAX = 1_000_000       # the driver reads it with atoi into an int
# between steps in a spec value (the plan uses spaces); not a comma, which
# separates the ids of ONLY= and EXP=, and an id holds the steps
SEP = "+"


def split(word: str) -> Tuple[str, Optional[str]]:
    """('kv', '40') of 'kv:40'; ('probe', None) of 'probe'."""
    name, sep, arg = word.partition(":")
    return name, (arg if sep else None)


def count_of(word: str) -> Optional[int]:
    """The count of a counted step ('kv:40' -> 40), else None."""
    name, arg = split(word)
    return int(arg) if WORDS.get(name) == COUNT and arg is not None else None


def with_count(word: str, n: int) -> str:
    return f"{split(word)[0]}:{n}"


def check_word(word: str) -> None:
    """ValueError saying what is wrong with one step word."""
    name, arg = split(word)
    kind = WORDS.get(name)
    if kind is None:
        raise ValueError(f"unknown step {word!r} in steps (known: {', '.join(WORDS)})")
    if kind == NONE and arg is not None:
        raise ValueError(f"step {word!r} takes no value (write {name})")
    if kind in (COUNT, LABEL) and not arg:
        raise ValueError(f"step {word!r} needs a value ({name}:"
                         f"{'N' if kind == COUNT else 'LABEL'})")
    if kind == COUNT:
        low, high = (1, PERIOD_MAX) if name == "period" else (0, COUNT_MAX)
        if not arg.isdigit() or not low <= int(arg) <= high:
            raise ValueError(f"bad count in step {word!r} ({low}..{high})")
    if kind == TARGET and arg is not None and arg not in ("kv", "echo"):
        raise ValueError(f"step {word!r}: verify takes kv or echo")


def parse(value: str) -> List[str]:
    """The step words of a steps= value, each checked."""
    words = value.split(SEP)
    if not value or any(not w for w in words):
        raise ValueError(f"empty step in steps={value!r}")
    for w in words:
        check_word(w)
    return words


def join(words) -> str:
    return SEP.join(words)
