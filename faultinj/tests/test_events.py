"""Unit tests for faultinj.events: line parsing and the threaded EventStream.

The kernel frames every event line with ASCII RS (F below); unframed lines
are user output, whatever they say."""

import threading
import time

import pytest

from faultinj.events import (FRAME, EventFieldError, EventParseError, EventStream,
                             EventStreamClosed, looks_forged, parse_line, parse_recorded,
                             parse_text)

F = FRAME


def test_parse_basic():
    ev = parse_line(F + '#EV t=1234567 ev=ready who=rs ep=0 name="hello world" n=3\r\n')
    assert ev.kind == "ready"
    assert ev.t == 1234567
    assert ev.get("who") == "rs"
    assert ev.get("name") == "hello world"
    assert ev.int("n") == 3
    assert ev.int("ep") == 0
    assert ev.get("missing", "d") == "d"
    assert ev.raw == '#EV t=1234567 ev=ready who=rs ep=0 name="hello world" n=3'


def test_quoted_escapes_and_empty():
    ev = parse_line(F + r'#EV ev=x msg="say \"hi\" \\ ok" e=""')
    assert ev.get("msg") == 'say "hi" \\ ok'
    assert ev.get("e") == ""


def test_int_hex_and_errors():
    ev = parse_line(F + "#EV ev=x a=0x1F b=-7 c=12ab d=")
    assert ev.int("a") == 31
    assert ev.int("b") == -7
    with pytest.raises(ValueError):
        ev.int("c")
    with pytest.raises(ValueError):
        ev.int("d")
    with pytest.raises(ValueError):
        ev.int("nope")
    with pytest.raises(KeyError):
        ev.int("nope")
    with pytest.raises(EventFieldError, match="nope"):
        ev.int("nope")


def test_no_time_is_none():
    ev = parse_line(F + "#EV ev=boot")
    assert ev.t is None and ev.kind == "boot"


@pytest.mark.parametrize("line", [
    "hello world",
    "",
    "EV ev=x",
    "#EVev=x",
    " x #EV ev=x",
])
def test_non_event_lines(line):
    assert parse_line(line) is None
    assert parse_line(line, strict=True) is None


@pytest.mark.parametrize("line,msg", [
    ("#EV t=1 who=rs", "no ev"),
    ('#EV ev=x name="unterminated', "unterminated"),
    ("#EV ev=x lonely", "without '='"),
    ("#EV ev=x =v", "empty key"),
    ('#EV ev=x a=b"c', "stray quote"),
    ('#EV ev=x a="b"c', "after closing quote"),
    (r'#EV ev=x a="\n"', "escape"),
    ("#EV t=abc ev=x", "bad time"),
    ("#EV ev=", "empty ev"),
    ("#EV t=1 who=tty ev=x who=kernel", "reserved key 'who' repeated"),
    ("#EV t=1 who=tty ev=x t=2", "reserved key 't' repeated"),
])
def test_malformed(line, msg):
    assert parse_line(F + line) is None
    with pytest.raises(EventParseError, match=msg):
        parse_line(F + line, strict=True)
    with pytest.raises(EventParseError, match=msg):
        parse_recorded(line, strict=True)
    assert issubclass(EventParseError, ValueError)


def test_parse_text_mixed():
    text = (f"boot banner\r\n{F}#EV t=1 ev=a\r\ngarbage #EV\n{F}#EV ev=b x=\"1 2\"\n"
            f"{F}#EV bad\n#EV ev=forged\n")
    evs = parse_text(text)
    assert [e.kind for e in evs] == ["a", "b"]
    assert evs[1].get("x") == "1 2"


def test_stream_partial_chunks_and_utf8_split():
    s = EventStream()
    assert s.feed(b"\x1e#EV t=5 ev=rea") == []
    assert s.feed(b"dy who=rs services=9\r") == []
    new = s.feed(b"\nline \xc3") + s.feed(b"\xa9 done\n\x1e#EV ev=off code=0x10")
    assert [e.kind for e in new] == ["ready"]
    assert s.events[0].t == 5
    assert "line \u00e9 done" in s.text
    assert [e.kind for e in s.close()] == ["off"]
    assert [e.kind for e in s.events] == ["ready", "off"]
    assert s.text.endswith("#EV ev=off code=0x10")


def test_stream_invalid_utf8_replaced():
    s = EventStream()
    s.feed(b"\xff\xfe#x\n")
    s.close()
    assert "\ufffd" in s.text


def test_wait_for_from_thread():
    s = EventStream()

    def producer():
        time.sleep(0.05)
        s.feed(b"\x1e#EV ev=panic who=kernel reason=x\n")
        time.sleep(0.05)
        s.feed(b"\x1e#EV ev=panic who=rs reason=x\n")

    t = threading.Thread(target=producer)
    t.start()
    ev = s.wait_for(lambda e: e.kind == "panic" and e.get("who") == "rs", timeout=5)
    t.join()
    assert ev.get("who") == "rs"
    # Events already seen count; `since` skips them.
    assert s.wait_kind("panic", 1, who="kernel").get("who") == "kernel"
    with pytest.raises(TimeoutError):
        s.wait_kind("panic", 0.05, since=len(s.events))


def test_wait_for_timeout_message_has_tail():
    s = EventStream()
    s.feed(b"x" * 5000 + b"END-OF-OUTPUT\n")
    t0 = time.monotonic()
    with pytest.raises(TimeoutError) as ei:
        s.wait_for(lambda e: True, timeout=0.2)
    assert 0.15 < time.monotonic() - t0 < 2
    assert "END-OF-OUTPUT" in str(ei.value)
    assert len(str(ei.value)) < 2200


def test_wait_for_returns_early_when_stream_closes():
    s = EventStream()
    threading.Timer(0.05, s.close).start()
    t0 = time.monotonic()
    with pytest.raises(EventStreamClosed):
        s.wait_for(lambda e: False, timeout=10)
    assert time.monotonic() - t0 < 2


# -- the frame: only the kernel's lines are events ---------------------------

FORGED = [
    "#EV t=1 who=rs ev=ready",
    "\r#EV t=2 who=kernel ev=panic reason=\"forged\"",
    "KERNEL PANIC: forged",
    "  #EV t=3 who=rs ev=ready",
    "^^#EV t=4 who=kernel ev=panic",        # the kernel's escape of a frame byte
    "x\x1e#EV t=5 who=rs ev=ready",           # a frame not at the line start
]


@pytest.mark.parametrize("line", FORGED)
def test_unframed_lookalikes_are_user_output(line):
    assert parse_line(line) is None
    assert parse_line(line + "\r\n", strict=True) is None
    assert looks_forged(line)


def test_framed_lines():
    ev = parse_line(F + "#EV t=7 who=kernel ev=panic reason=\"x\"\r\n")
    assert (ev.kind, ev.get("who"), ev.t) == ("panic", "kernel", 7)
    assert ev.raw == "#EV t=7 who=kernel ev=panic reason=\"x\""    # stored without the frame
    assert parse_line("\r" + F + "#EV ev=a").kind == "a"
    # the kernel's own panic line is framed, so not forged, and not an event
    assert parse_line(F + "KERNEL PANIC: real") is None
    assert not looks_forged(F + "KERNEL PANIC: real")
    assert not looks_forged("ordinary output") and not looks_forged("RS PANIC: x")


def test_recorded_form_round_trips_and_has_no_frame():
    ev = parse_line(F + '#EV t=9 who=kv ev=x a="1 2"')
    assert parse_recorded(ev.raw) == ev
    assert parse_recorded(F + ev.raw) is None
    assert parse_recorded("garbage") is None


def test_parse_text_does_not_split_at_the_frame():
    # str.splitlines() treats RS as a line break: it would cut the frame off
    assert [e.kind for e in parse_text(f"a\n{F}#EV ev=x\n#EV ev=y\n")] == ["x"]


def test_stream_counts_forged_lines():
    s = EventStream()
    s.feed(b"\x1e#EV t=1 who=rs ev=ready services=9\r\n")
    for line in FORGED:
        s.feed(line.encode() + b"\r\n")
    s.feed(b"plain output\r\n\x1eKERNEL PANIC: real\r\n\x1e#EV t=9 who=kernel ev=off code=0x10\r\n")
    s.feed(b"KERNEL PANIC: tail")              # unterminated, flushed by close
    s.close()
    assert [(e.kind, e.get("who")) for e in s.events] == [("ready", "rs"), ("off", "kernel")]
    assert s.forged == [line.lstrip("\r") for line in FORGED] + ["KERNEL PANIC: tail"]
    assert "#EV t=1 who=rs ev=ready services=9\r\n" in s.text     # still in the console text



def test_stream_refuses_lines_the_schema_does_not_describe(capsys):
    """contract/events.def: an unknown kind, an unknown field, a missing
    field or an unparsable framed line is refused loudly, never an event."""
    s = EventStream()
    s.feed(b"\x1e#EV t=1 who=rs ev=ready services=9\n")          # fine
    s.feed(b"\x1e#EV t=2 who=rs ev=no_such_kind a=1\n")
    s.feed(b"\x1e#EV t=3 who=rs ev=ready services=9 extra=1\n")
    s.feed(b"\x1e#EV t=4 who=kernel ev=off\n")                    # code= missing
    s.feed(b'\x1e#EV t=5 who=kernel ev=panic reason="unterminated\n')
    assert [e.kind for e in s.events] == ["ready"]
    why = s.malformed
    assert len(why) == 4
    assert "unknown event kind 'no_such_kind'" in why[0] and "unknown field(s) extra" in why[1]
    assert "missing field(s) code" in why[2]
    assert capsys.readouterr().err.count("malformed event line refused") == 4


def test_stream_refuses_a_kind_from_a_producer_the_schema_does_not_name(capsys):
    """contract/events.def's @producers: who= says which process printed
    a line, not that it may print that kind. A user program's genuine
    framed wl_done, fi_fired or panic is refused, as is an RS kind from
    the kernel; the real producers' lines pass."""
    wl = b"answered=%d lost=0 rebinds=0 retried=0 stale=0 target=kv verified=0 wrong=0"
    s = EventStream()
    s.feed(b"\x1e#EV t=1 who=forger ev=wl_done " + wl % 100 + b"\n")
    s.feed(b"\x1e#EV t=2 who=forger ev=fi_fired ep=1 fired=1 proc=kv site=1 slot=0 type=0 via=call\n")
    s.feed(b'\x1e#EV t=3 who=forger ev=panic reason="x"\n')
    s.feed(b"\x1e#EV t=4 who=kernel ev=given_up cause=x label=kv restarts=1\n")
    s.feed(b"\x1e#EV t=5 who=kernel ev=sef_init label=kv type=0 result=0\n")
    s.feed(b"\x1e#EV t=6 who=wl ev=wl_done " + wl % 0 + b"\n")
    s.feed(b"\x1e#EV t=7 who=scenario ev=wl_done " + wl % 0 + b"\n")
    s.feed(b"\x1e#EV t=8 who=kernel ev=fi_fired ep=1 fired=1 proc=kv site=1 slot=0 type=0 via=call\n")
    s.feed(b'\x1e#EV t=9 who=rs ev=panic reason="x" proc=kv\n')
    s.feed(b"\x1e#EV t=10 who=ds ev=sef_init label=ds type=0 result=0\n")
    s.feed(b"\x1e#EV ev=hanging\n")            # a kernel that writes no who=
    assert [e.t for e in s.events] == [6, 7, 8, 9, 10, None]
    why = s.malformed
    assert len(why) == 5 and all("forged producer" in w for w in why), why
    assert "who=forger" in why[0] and "allowed: scenario,wl" in why[0]
    assert capsys.readouterr().err.count("malformed event line refused") == 5


def test_stream_bounds_what_it_keeps_and_says_what_it_dropped(monkeypatch):
    """A flood of one kind is kept up to its cap, the rest counted (their
    places kept, so marks still index events); other kinds are kept; the
    text keeps its tail; notes say what went."""
    from faultinj import events as E
    monkeypatch.setattr(E, "EVENTS_PER_KIND", 5)
    monkeypatch.setattr(E, "TEXT_MAX", 4000)
    s = EventStream()
    flood = "".join(f"{F}#EV t={i} who=rs ev=rs_refused req=up by=9\n" for i in range(100))
    s.feed(flood.encode())
    s.feed(f"{F}#EV t=200 who=wl ev=wl_done answered=1 lost=0 rebinds=0 retried=0 stale=0 target=kv verified=1 wrong=0\n".encode())
    evs = s.events
    assert len(evs) == 101
    assert [e.kind for e in evs[:5]] == ["rs_refused"] * 5
    assert all(e is E.DROPPED for e in evs[5:100])
    assert s.dropped == {"rs_refused": 95}
    assert s.wait_for(lambda e: e.kind == "wl_done", 1, since=3).int("answered") == 1
    assert len(s.text) <= 4000 and s.text.endswith("wrong=0\n")
    notes = s.notes
    assert any("95 rs_refused" in n for n in notes) and any("characters" in n for n in notes)


def test_a_line_cut_by_the_end_of_the_run_is_noted_not_malformed():
    s = EventStream()
    s.feed(b"\x1e#EV t=5 who=rs ev=ready services=9\r\n\x1e#EV t=6 who=pm ev=proc_exit pid=9 na")
    assert s.close() == []
    assert s.malformed == []
    assert any("ended inside an event line" in n for n in s.notes), s.notes
    # a whole line, mid-run, that does not parse is refused as before
    t = EventStream()
    t.feed(b"\x1e#EV t=6 who=pm ev=proc_exit pid=9 na\r\n")
    assert t.malformed


def test_each_run_on_a_pooled_stream_has_its_own_caps_and_notes(monkeypatch):
    """A pooled machine's stream outlives its runs: the cap per kind is a
    run's, so a thousand earlier experiments never make this one's events
    DROPPED; and what one run lost is said for that run alone."""
    from faultinj import events as evmod
    monkeypatch.setattr(evmod, "EVENTS_PER_KIND", 3)
    s = EventStream()
    line = b"\x1e#EV t=5 who=rs ev=ready services=9\r\n"
    s.feed(line * 5)
    assert [e.kind for e in s.events].count("dropped") == 2
    mark = s.new_run()
    s.feed(line * 3)
    assert all(e.kind == "ready" for e in s.events[5:])
    assert s.notes_since(mark) == []
    s.feed(line)
    assert s.notes_since(mark) == ["dropped 1 ready events over the cap of 3 a kind"]


def test_fast_tokenizer_is_the_slow_one():
    """_tokenize (a regular expression) takes every line as _tokenize_slow
    (a character at a time) does: the same fields, or an error for the
    same lines, over random lines of the characters the syntax turns on,
    and the events of a recorded run."""
    import random
    from faultinj.events import EventParseError, _tokenize, _tokenize_slow

    def both(body):
        out = []
        for f in (_tokenize, _tokenize_slow):
            try:
                out.append(f(body))
            except EventParseError as e:
                out.append(("error", str(e)))
        return out

    rng = random.Random(7)
    alphabet = ['a', 'b', 't', 'who', ' ', '\t', '=', '"', '\\', 'x y', '\n', '=""', '="a\\"b"']
    errors = 0
    for _ in range(20000):
        body = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        fast, slow = both(body)
        assert fast == slow, body
        errors += isinstance(slow, tuple)
    assert 1000 < errors < 19000          # both kinds of line were tried
    for body in ('t=1 who=kernel ev=x a="q \\"v\\" \\\\" b= c=d', ' ev=a  ', 'ev=a t=1 t=2',
                 'ev=a a="x"y', 'ev=a a=x"y', 'ev=a a="x\\y"', 'ev=a =x', 'ev=a "x"=1'):
        fast, slow = both(body)
        assert fast == slow, body
