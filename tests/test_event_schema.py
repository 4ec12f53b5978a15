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


def test_every_emitter_is_code_of_a_producer_of_its_kind():
    """contract/events.def's @producers: the source file of every emitter
    is code of a process the kind names (contract/events.py:
    file_producers), so the kernel lets each real producer's event pass,
    and no kind is open to more processes than emit it."""
    kinds = schema_src.load()
    problems, used = [], {}
    for f, line, kind, _ in schema_src.emitters():
        k = kinds.get(kind)
        if k is None:
            continue                       # the test above says so
        prods = schema_src.file_producers(f)
        if not prods:
            problems.append(f"{f}:{line}: no producer known for this file (file_producers)")
        for p in prods:
            if not k.may_emit(p) and not (p == schema_src.SYS and schema_src.SYS in k.producers):
                problems.append(f"{f}:{line}: {kind}: emitted by {p}, not in @{','.join(k.producers)}")
        used.setdefault(kind, set()).update(prods)
    for kind, k in kinds.items():
        if kind in used and schema_src.ANY not in k.producers:
            extra = set(k.producers) - used[kind]
            if extra:
                problems.append(f"{kind}: @{sorted(extra)} emit no such event")
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
