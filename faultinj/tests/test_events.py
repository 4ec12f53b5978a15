"""Unit tests for faultinj.events: line parsing and the threaded EventStream."""

import threading
import time

import pytest

from faultinj.events import (EventFieldError, EventParseError, EventStream,
                             EventStreamClosed, parse_line, parse_text)


def test_parse_basic():
    ev = parse_line('#EV t=1234567 ev=ready who=rs ep=0 name="hello world" n=3\r\n')
    assert ev.kind == "ready"
    assert ev.t == 1234567
    assert ev.get("who") == "rs"
    assert ev.get("name") == "hello world"
    assert ev.int("n") == 3
    assert ev.int("ep") == 0
    assert ev.get("missing", "d") == "d"
    assert ev.raw == '#EV t=1234567 ev=ready who=rs ep=0 name="hello world" n=3'


def test_quoted_escapes_and_empty():
    ev = parse_line(r'#EV ev=x msg="say \"hi\" \\ ok" e=""')
    assert ev.get("msg") == 'say "hi" \\ ok'
    assert ev.get("e") == ""


def test_int_hex_and_errors():
    ev = parse_line("#EV ev=x a=0x1F b=-7 c=12ab d=")
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
    ev = parse_line("#EV ev=boot")
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
])
def test_malformed(line, msg):
    assert parse_line(line) is None
    with pytest.raises(EventParseError, match=msg):
        parse_line(line, strict=True)
    assert issubclass(EventParseError, ValueError)


def test_parse_text_mixed():
    text = "boot banner\r\n#EV t=1 ev=a\r\ngarbage #EV\n#EV ev=b x=\"1 2\"\n#EV bad\n"
    evs = parse_text(text)
    assert [e.kind for e in evs] == ["a", "b"]
    assert evs[1].get("x") == "1 2"


def test_stream_partial_chunks_and_utf8_split():
    s = EventStream()
    assert s.feed(b"#EV t=5 ev=rea") == []
    assert s.feed(b"dy who=rs\r") == []
    new = s.feed(b"\nline \xc3") + s.feed(b"\xa9 done\n#EV ev=tail")
    assert [e.kind for e in new] == ["ready"]
    assert s.events[0].t == 5
    assert "line \u00e9 done" in s.text
    assert [e.kind for e in s.close()] == ["tail"]
    assert [e.kind for e in s.events] == ["ready", "tail"]
    assert s.text.endswith("#EV ev=tail")


def test_stream_invalid_utf8_replaced():
    s = EventStream()
    s.feed(b"\xff\xfe#x\n")
    s.close()
    assert "\ufffd" in s.text


def test_wait_for_from_thread():
    s = EventStream()

    def producer():
        time.sleep(0.05)
        s.feed(b"#EV ev=ready who=pm\n")
        time.sleep(0.05)
        s.feed(b"#EV ev=ready who=rs\n")

    t = threading.Thread(target=producer)
    t.start()
    ev = s.wait_for(lambda e: e.kind == "ready" and e.get("who") == "rs", timeout=5)
    t.join()
    assert ev.get("who") == "rs"
    # Events already seen count; `since` skips them.
    assert s.wait_kind("ready", 1, who="pm").get("who") == "pm"
    with pytest.raises(TimeoutError):
        s.wait_kind("ready", 0.05, since=len(s.events))


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
