"""One event schema (contract/events.def): every event the guest's code
can print is described there, kind and fields, and a real run of the
system produces no line the host refuses."""

import sys

from faultinj import bootimage

sys.path.insert(0, str(bootimage.ROOT / "contract"))
import events as schema_src  # noqa: E402


def test_every_emitter_in_the_sources_fits_the_schema():
    kinds = schema_src.load()
    problems = []
    for f, line, kind, fields in schema_src.emitters():
        k = kinds.get(kind)
        if k is None:
            problems.append(f"{f}:{line}: event kind {kind} is not in contract/events.def")
            continue
        unknown = set(fields) - k.allowed
        missing = k.required - set(fields)
        if unknown:
            problems.append(f"{f}:{line}: {kind}: fields {sorted(unknown)} not in the schema")
        if missing:
            problems.append(f"{f}:{line}: {kind}: leaves out required {sorted(missing)}")
    assert problems == []


def test_scanner_sees_the_emitters():
    """The check above is only as good as the scan: it finds the kernel's,
    RS's and a test program's events, with their fields."""
    found = {(k, tuple(f)) for _, _, k, f in schema_src.emitters()}
    assert ("off", ("code",)) in found
    assert ("died", ("label", "ep", "sigmap", "how")) in found
    assert any(k == "attack" for k, _ in found)
    assert len({k for k, _ in found}) > 120


def test_a_real_run_has_no_refused_line(live_os):
    con = live_os()
    m = con.mark()
    con.run("run wl kv 30 crash@10", timeout=60)
    con.wait_event("wl_done", since=m, timeout=60)
    con.run("service list")
    con.run("ps")
    assert con.q.serial.malformed == []


def test_free_text_goes_into_an_event_whole(live_os):
    """The emitter escapes (ev_quote, os/lib/common/format.c): a command
    line with quotes and a backslash comes back in shell_done exactly."""
    from faultinj import errnos
    con = live_os()
    cmd = 'nosuch "a \\"quoted\\" word" back\\slash'
    ev = con.run(cmd, expect=None)
    assert ev.get("cmd") == cmd and ev.int("result") == errnos.ENOSYS
    assert con.q.serial.malformed == []
