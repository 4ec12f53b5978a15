"""Parse the machine-readable event lines the guest prints on its serial line.

An event line is FRAME + `#EV key=value key="quoted value" ...`; `ev` names
the kind of event, `t` is the guest's virtual time in microseconds and `who`
the process the kernel says produced it.  Only the kernel writes FRAME (ASCII
RS): it escapes that byte, and every other control byte but \n \r \t \b,
in all a process prints, so a line without the frame is user output even
when it reads `#EV ... who=kernel ev=panic` (EventStream.forged keeps those).
The kernel writes `t=` and `who=` itself and refuses event text that sets
them, so the parser also refuses a line that carries either twice.

Event.raw is the line without the frame: the form results, journals and
recorded traces store, read back with parse_recorded.  EventStream turns the
raw byte stream from QEMU into text and events and lets a test wait for a
particular event.
"""

import codecs
import functools
import sys
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

FRAME = "\x1e"             # ASCII RS: starts every line the kernel vouches for
PREFIX = "#EV "             # an event line after its frame; Event.raw starts so
RESERVED = ("t", "who")     # written by the kernel's header, once
# what user output imitates: counted as forged when it comes without a frame
_LOOKALIKES = ("#EV", "KERNEL PANIC")

_INT_RE = re.compile(r"-?(?:0[xX][0-9a-fA-F]+|[0-9]+)\Z")


class EventParseError(ValueError):
    """A line starts with the event prefix but is not a well-formed event."""


class EventFieldError(KeyError, ValueError):
    """An event lacks a field that was asked for.

    Both a KeyError (it is a lookup) and a ValueError (Event.int promises
    ValueError), so callers may catch either.
    """

    def __str__(self):
        return str(self.args[0]) if self.args else ""


# kernel/shutdown.c frames its panic banner as it frames events, so no
# process can print one; the ev=panic line after it carries the reason
PANIC_BANNER = "KERNEL PANIC: "


class EventStreamClosed(TimeoutError):
    """The serial stream ended (QEMU exited) before the awaited event came.

    A TimeoutError so callers that only expect a timeout still catch it,
    but raised at once instead of after the full timeout.
    """


def parse_int(text: str) -> int:
    """Decimal or 0x-prefixed hex, optionally negative; ValueError otherwise."""
    if not _INT_RE.match(text):
        raise ValueError(f"not an integer: {text!r}")
    neg = text.startswith("-")
    body = text[1:] if neg else text
    value = int(body, 16) if body[:2] in ("0x", "0X") else int(body, 10)
    return -value if neg else value


@dataclass
class Event:
    kind: str
    t: Optional[int]
    fields: Dict[str, str]
    raw: str
    # host monotonic time the line arrived (set by EventStream), for
    # host-time measurements; not part of equality
    host_t: Optional[float] = field(default=None, compare=False)

    def get(self, key: str, default=None):
        return self.fields.get(key, default)

    def int(self, key: str) -> int:
        try:
            text = self.fields[key]
        except KeyError:
            raise EventFieldError(
                f"event {self.kind!r} has no field {key!r}: {self.raw}") from None
        return parse_int(text)

    def __contains__(self, key):
        return key in self.fields


# one well-formed field, after any blanks: key=bare or key="quoted", the
# quoted value's only escapes \" and \\, each value ending at a blank or
# the end of the line
_FIELD = re.compile(r'[ \t]*([^ \t="]+)=(?:"((?:[^"\\]|\\["\\])*)"|([^ \t"]*))(?=[ \t]|\Z)')
_UNESCAPE = re.compile(r'\\(["\\])')
_BLANKS = re.compile(r"[ \t]*\Z")


def _tokenize(body: str) -> Dict[str, str]:
    """Split `k=v k="q v"` into a dict; EventParseError on bad syntax.
    Every event of every run and report goes through here: a line is taken
    field by field with one regular expression, and one that does not
    match all the way (bad syntax) is left to _tokenize_slow, which says
    where and why."""
    fields: Dict[str, str] = {}
    i, n = 0, len(body)
    match = _FIELD.match
    while i < n:
        m = match(body, i)
        if m is None:
            if _BLANKS.match(body, i):
                break
            return _tokenize_slow(body)
        key, quoted, bare = m.groups()
        if key in RESERVED and key in fields:
            return _tokenize_slow(body)
        if quoted is None:
            fields[key] = bare
        else:
            fields[key] = _UNESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted
        i = m.end()
    return fields


def _tokenize_slow(body: str) -> Dict[str, str]:
    """_tokenize, a character at a time, with the error of a bad line."""
    fields: Dict[str, str] = {}
    i, n = 0, len(body)
    while True:
        while i < n and body[i] in " \t":
            i += 1
        if i >= n:
            return fields
        start = i
        while i < n and body[i] not in " \t=\"":
            i += 1
        key = body[start:i]
        if i >= n or body[i] != "=":
            raise EventParseError(f"token without '=' at column {start}: "
                                  f"{body[start:].split(' ')[0]!r}")
        if not key:
            raise EventParseError(f"empty key at column {start}")
        i += 1  # skip '='
        if i < n and body[i] == '"':
            i += 1
            chars = []
            while True:
                if i >= n:
                    raise EventParseError(f"unterminated quoted value for {key!r}")
                c = body[i]
                if c == "\\":
                    if i + 1 >= n:
                        raise EventParseError(f"dangling backslash in value of {key!r}")
                    nxt = body[i + 1]
                    if nxt not in "\"\\":
                        raise EventParseError(
                            f"unknown escape \\{nxt} in value of {key!r}")
                    chars.append(nxt)
                    i += 2
                elif c == '"':
                    i += 1
                    break
                else:
                    chars.append(c)
                    i += 1
            if i < n and body[i] not in " \t":
                raise EventParseError(f"garbage after closing quote of {key!r}")
            value = "".join(chars)
        else:
            vstart = i
            while i < n and body[i] not in " \t":
                i += 1
            value = body[vstart:i]
            if '"' in value:
                raise EventParseError(f"stray quote in bare value of {key!r}")
        # A repeated key keeps its last value, like a dict literal, except
        # the kernel's own: a second who= would rename the producer.
        if key in RESERVED and key in fields:
            raise EventParseError(f"reserved key {key!r} repeated")
        fields[key] = value


@functools.lru_cache(maxsize=16384)
def _parsed(raw: str) -> Tuple[str, Optional[int], Dict[str, str]]:
    """kind, t and fields of `#EV ...`; EventParseError if malformed.
    Cached: the traces of one campaign share most of their lines (every
    run on a machine brought back repeats its boot, ~70% of its trace),
    and a report derives every verdict from them again. Callers get a
    copy of the fields."""
    fields = _tokenize(raw[len(PREFIX):])
    if "ev" not in fields:
        raise EventParseError("no ev= field")
    if not fields["ev"]:
        raise EventParseError("empty ev= field")
    t = None
    if "t" in fields:
        try:
            t = parse_int(fields["t"])
        except ValueError:
            raise EventParseError(f"bad time t={fields['t']!r}") from None
    return fields["ev"], t, fields


def _parse_event(raw: str, strict: bool) -> Optional[Event]:
    """raw is `#EV ...` (no frame, no line end)."""
    if not raw.startswith(PREFIX):
        return None
    try:
        kind, t, fields = _parsed(raw)
    except EventParseError as e:
        if strict:
            raise EventParseError(f"{e}: {raw!r}") from None
        return None
    return Event(kind=kind, t=t, fields=dict(fields), raw=raw)


def _strip(line: str) -> str:
    # Output from the guest sometimes starts with a stray CR; ignore it.
    return line.rstrip("\r\n").lstrip("\r")


def parse_line(line: str, strict: bool = False) -> Optional[Event]:
    """Parse one serial line.

    Returns None for lines that are not events: everything without the
    kernel's frame, whatever it says.  A framed line that is malformed gives
    None, or EventParseError when strict.  The Event's raw is the line
    without the frame.
    """
    stripped = _strip(line)
    if not stripped.startswith(FRAME):
        return None
    return _parse_event(stripped[len(FRAME):], strict)


def parse_recorded(text: str, strict: bool = False) -> Optional[Event]:
    """Parse an event as results, journals and recorded traces store it:
    Event.raw, `#EV ...` without the frame.  The frame was checked when the
    line came off the serial port; stored text is the harness's own."""
    return _parse_event(text.rstrip("\r\n"), strict)


_schema = None


def schema():
    """Event kinds and their fields (contract/events.def), loaded once."""
    global _schema
    if _schema is None:
        import importlib.util
        from pathlib import Path
        src = Path(__file__).resolve().parent.parent / "contract" / "events.py"
        spec = importlib.util.spec_from_file_location("event_schema", src)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _schema = mod.load()
    return _schema


def schema_problem(ev: Event) -> Optional[str]:
    """Why an event does not fit the schema, or None."""
    kind = schema().get(ev.kind)
    if kind is None:
        return f"unknown event kind {ev.kind!r}"
    unknown = sorted(set(ev.fields) - kind.allowed)
    if unknown:
        return f"{ev.kind}: unknown field(s) {', '.join(unknown)}"
    missing = sorted(kind.required - set(ev.fields))
    if missing:
        return f"{ev.kind}: missing field(s) {', '.join(missing)}"
    # who= says which process printed the line, not that it may: the
    # kernel refuses a kind from a process the schema does not name, and
    # so does the host, in case the kernel let one through. A line without
    # who= comes from a kernel that writes none (faultinj/tests'
    # tinykernel): only a kernel frames lines. `sys` (any process with a
    # privilege of its own) is checked by the kernel alone, which knows
    # privileges; here it admits any process but the kernel.
    who = ev.fields.get("who", "kernel")
    if not kind.may_emit(who):
        return f"{ev.kind}: forged producer who={who} (allowed: {','.join(kind.producers)})"
    return None


def looks_forged(line: str) -> bool:
    """An unframed serial line that imitates an event or a kernel panic:
    user output, but worth counting (EventStream.forged)."""
    stripped = _strip(line)
    return not stripped.startswith(FRAME) and any(w in stripped for w in _LOOKALIKES)


def parse_text(text: str, strict: bool = False) -> List[Event]:
    """All events in a block of serial text, in order."""
    out = []
    # split on \n only: str.splitlines would also break at the frame byte
    for line in text.split("\n"):
        ev = parse_line(line, strict=strict)
        if ev is not None:
            out.append(ev)
    return out


# What a stream keeps of a run, so a guest that prints without end (a
# flood the guest's own limits let through, a runaway program) cannot
# exhaust the host: the text's last TEXT_MAX characters, and of each event
# kind its first EVENTS_PER_KIND events; the rest are counted (notes).
TEXT_MAX = 64 * 1024 * 1024
EVENTS_PER_KIND = 20000
FORGED_MAX = 1000
# Stands in for an event dropped over its kind's cap: the list keeps its
# indices (marks, since=) and costs one reference per dropped event.
DROPPED = Event(kind="dropped", t=None, fields={"ev": "dropped"}, raw="")


def _lost_note(n: int) -> str:
    return f"the console ring lost {n} bytes of output the host did not take in time"


class EventStream:
    """Accumulates serial bytes, keeps the text and the parsed events.

    feed() is called from a reader thread; wait_for() from the test thread.
    What it keeps is bounded (TEXT_MAX, EVENTS_PER_KIND, FORGED_MAX); what
    it dropped is counted and said in notes.
    """

    def __init__(self):
        self._cond = threading.Condition()
        # Incremental so a UTF-8 sequence split across chunks decodes cleanly.
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._chunks: List[str] = []
        self._text_len = 0
        self._partial = ""
        self._events: List[Event] = []
        self._forged: List[str] = []
        self._malformed: List[str] = []
        self._closed = False
        self._per_kind: Dict[str, int] = {}
        self._dropped: Dict[str, int] = {}
        self._text_dropped = 0
        self._forged_dropped = 0
        self._lost = 0                 # bytes the console ring overwrote untaken
        self._cut_line = ""            # an event line the end of the run cut

    # -- producer side --------------------------------------------------
    def feed(self, data: bytes, timed: bool = True) -> List[Event]:
        """Add bytes; returns the events completed by them. timed: the
        bytes arrive as the guest prints them (the UART), so each event's
        host_t is when it came; bytes taken at a stop all at once (the
        console ring) say nothing of when each was printed: host_t None."""
        text = self._decoder.decode(data)
        return self._add_text(text, timed)

    def close(self) -> List[Event]:
        """End of stream: flush the decoder and the last unterminated line."""
        with self._cond:
            if self._closed:
                return []
        new = self._add_text(self._decoder.decode(b"", final=True))
        with self._cond:
            if self._partial:
                # the machine stopped (or was stopped) inside a line: a whole
                # event without its line end is taken; a cut one is not
                # "malformed" (nothing the guest did wrong), only noted
                ev = self._take_line(self._partial, last=True)
                self._partial = ""
                if ev is not None:
                    self._events.append(ev)
                    new.append(ev)
            self._closed = True
            self._cond.notify_all()
        return new

    def _add_text(self, text: str, timed: bool = True) -> List[Event]:
        new: List[Event] = []
        with self._cond:
            if not text:
                return new
            self._chunks.append(text)
            self._text_len += len(text)
            if self._text_len > TEXT_MAX:
                # keep the last three quarters: a cut per quarter of the cap
                whole = "".join(self._chunks)
                keep = TEXT_MAX * 3 // 4
                self._text_dropped += len(whole) - keep
                self._chunks = [whole[-keep:]]
                self._text_len = keep
            lines = (self._partial + text).split("\n")
            self._partial = lines.pop()
            now = time.monotonic() if timed else None
            for line in lines:
                ev = self._take_line(line)
                if ev is not None:
                    ev.host_t = now
                    n = self._per_kind.get(ev.kind, 0)
                    if n >= EVENTS_PER_KIND:
                        self._dropped[ev.kind] = self._dropped.get(ev.kind, 0) + 1
                        ev = DROPPED
                    else:
                        self._per_kind[ev.kind] = n + 1
                    new.append(ev)
            if new:
                self._events.extend(new)
            self._cond.notify_all()
        return new

    def _take_line(self, line: str, last: bool = False) -> Optional[Event]:
        """One whole line (lock held): its event, or None; an unframed
        imitation of an event or a panic is noted in forged. A framed line
        that does not parse, or whose kind or fields the schema does not
        describe (contract/events.def), is refused: noted in malformed and
        said on stderr, never taken as an event."""
        stripped = _strip(line)
        if not stripped.startswith(FRAME):
            if looks_forged(line):
                if len(self._forged) < FORGED_MAX:
                    self._forged.append(stripped)
                else:
                    self._forged_dropped += 1
            return None
        try:
            ev = _parse_event(stripped[len(FRAME):], strict=True)
        except EventParseError as e:
            return self._cut(stripped) if last else self._refuse(f"{e}")
        if ev is None:
            if stripped[len(FRAME):].startswith(PANIC_BANNER):
                return None        # the kernel's own banner; its ev=panic follows
            return self._refuse(f"not an event line: {stripped[len(FRAME):]!r}")
        why = schema_problem(ev)
        if why:
            return self._cut(stripped) if last else self._refuse(f"{why}: {ev.raw}")
        return ev

    def _cut(self, line: str) -> None:
        self._cut_line = line
        return None

    def _refuse(self, why: str) -> None:
        self._malformed.append(why)
        print(f"faultinj: malformed event line refused: {why}", file=sys.stderr)
        return None

    # -- consumer side --------------------------------------------------
    @property
    def text(self) -> str:
        with self._cond:
            if len(self._chunks) > 1:
                self._chunks = ["".join(self._chunks)]
            return self._chunks[0] if self._chunks else ""

    @property
    def events(self) -> List[Event]:
        with self._cond:
            return list(self._events)

    @property
    def forged(self) -> List[str]:
        """User output that looked like an event or a kernel panic, in the
        order it came: lines without the kernel's frame that say `#EV` or
        `KERNEL PANIC`.  Never events; kept so a test or report can say so."""
        with self._cond:
            return list(self._forged)

    @property
    def malformed(self) -> List[str]:
        """Framed lines refused: unparsable, or not in the event schema."""
        with self._cond:
            return list(self._malformed)

    @property
    def dropped(self) -> Dict[str, int]:
        """Events not kept, by kind: those over EVENTS_PER_KIND (each is
        DROPPED in events, so indices stay)."""
        with self._cond:
            return dict(self._dropped)

    @property
    def notes(self) -> List[str]:
        """What the stream did not keep, in words; empty if it kept all."""
        with self._cond:
            out = [f"dropped {n} {kind} events over the cap of {EVENTS_PER_KIND} a kind"
                   for kind, n in sorted(self._dropped.items())]
            if self._text_dropped:
                out.append(f"dropped the first {self._text_dropped} characters of output "
                           f"(kept the last {TEXT_MAX})")
            if self._forged_dropped:
                out.append(f"dropped {self._forged_dropped} forged lines over {FORGED_MAX}")
            if self._lost:
                out.append(_lost_note(self._lost))
            if self._cut_line:
                out.append(f"the run ended inside an event line, not taken: {self._cut_line[:200]!r}")
            return out

    def note_lost(self, n: int) -> None:
        """n bytes of output never reached the stream (the console ring
        wrapped over them before the host took them): said in notes."""
        with self._cond:
            self._lost += n

    def new_run(self) -> Tuple[Dict[str, int], int, int, int]:
        """A new run begins on this stream (a pooled machine restored for
        its next experiment): the per-kind caps count afresh, so the
        events of earlier runs never crowd out this one's. Returns a mark
        for notes_since."""
        with self._cond:
            self._per_kind = {}
            return dict(self._dropped), self._text_dropped, self._forged_dropped, self._lost

    def notes_since(self, mark: Tuple[Dict[str, int], int, int, int]) -> List[str]:
        """What the stream did not keep since new_run() gave mark, in words."""
        dropped0, text0, forged0, lost0 = mark
        with self._cond:
            out = [f"dropped {n - dropped0.get(kind, 0)} {kind} events over the cap of "
                   f"{EVENTS_PER_KIND} a kind" for kind, n in sorted(self._dropped.items())
                   if n > dropped0.get(kind, 0)]
            if self._text_dropped > text0:
                out.append(f"dropped {self._text_dropped - text0} characters of output "
                           f"(kept the last {TEXT_MAX})")
            if self._forged_dropped > forged0:
                out.append(f"dropped {self._forged_dropped - forged0} forged lines over {FORGED_MAX}")
            if self._lost > lost0:
                out.append(_lost_note(self._lost - lost0))
            if self._cut_line:
                out.append(f"the run ended inside an event line, not taken: {self._cut_line[:200]!r}")
            return out

    @property
    def closed(self) -> bool:
        with self._cond:
            return self._closed

    def tail(self, nchars: int = 2000) -> str:
        return self.text[-nchars:]

    def wait_for(self, predicate: Callable[[Event], bool],
                 timeout: Optional[float] = None, *, since: int = 0) -> Event:
        """Return the first event (index >= since) that satisfies predicate.

        Events already received count, so there is no race between starting
        the guest and starting to wait.  Pass since=len(stream.events) to
        wait only for new ones.  TimeoutError if none comes in time;
        EventStreamClosed (a TimeoutError) at once if the stream has ended.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        idx = since
        with self._cond:
            while True:
                while idx < len(self._events):
                    ev = self._events[idx]
                    idx += 1
                    if predicate(ev):
                        return ev
                if self._closed:
                    raise EventStreamClosed(
                        "serial stream ended before the awaited event; "
                        f"last output:\n{self._tail_locked()}")
                if deadline is None:
                    self._cond.wait()
                else:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise TimeoutError(
                            f"no matching event within {timeout} s; "
                            f"last output:\n{self._tail_locked()}")
                    self._cond.wait(remaining)

    def wait_for_text(self, needle: str, timeout: float) -> bool:
        """Whether the text read so far holds needle, waiting up to timeout
        for it (what the guest printed before a stop with no event)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while needle not in "".join(self._chunks):
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def wait_kind(self, kind: str, timeout: Optional[float] = None, *,
                  since: int = 0, **fields) -> Event:
        """wait_for an event of this kind whose fields equal the given ones."""
        def match(ev: Event) -> bool:
            return ev.kind == kind and all(
                ev.fields.get(k) == str(v) for k, v in fields.items())
        return self.wait_for(match, timeout, since=since)

    def _tail_locked(self, nchars: int = 2000) -> str:
        if len(self._chunks) > 1:
            self._chunks = ["".join(self._chunks)]
        return (self._chunks[0] if self._chunks else "")[-nchars:]
