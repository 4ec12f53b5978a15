"""The guest's error numbers, read from os/include/errno.h: the one
definition, so host tests name errors (errnos.EPERM) instead of copying
numbers by hand."""

import re
from pathlib import Path

_HEADER = Path(__file__).resolve().parent.parent / "os" / "include" / "errno.h"
_DEFINE = re.compile(r"^#define\s+(E[A-Z0-9]+)\s+\((-?\d+)\)", re.M)

BY_NAME = {name: int(v) for name, v in _DEFINE.findall(_HEADER.read_text())}
BY_VALUE = {v: name for name, v in BY_NAME.items()}
globals().update(BY_NAME)


def name(value: int) -> str:
    return BY_VALUE.get(value, str(value))
