"""One campaign experiment from one spec line, and the events of its trace
by kind: what the fault-injection tests of the kernel and of automatic
sites run and read. Events are parsed by the harness's own parser
(faultinj/events.py), so a field is read as the verdict reads it."""

from campaigns import runner, spec
from faultinj.events import parse_recorded


def run(line, *, timeout=30, seed=None, name="one"):
    """The result record of the experiment `line` alone in a campaign."""
    head = f"campaign {name}\n" + (f"seed {seed}\n" if seed is not None else "")
    c = spec.parse(f"{head}timeout {timeout}\n{line}\n", f"{name}.spec")
    return runner.run(c.experiments[0], campaign=c)


def events(r, kind, **fields):
    """The trace's events of this kind whose fields have these values."""
    out = []
    for raw in r["events"]:
        e = parse_recorded(raw)
        if e is not None and e.kind == kind and all(e.get(k) == str(v) for k, v in fields.items()):
            out.append(e)
    return out


def served_on(r):
    """The system served on after a kernel repair or containment: no
    panic, the scenario ran to its end, and the verdict is recovered (the
    fault manifested and was detected)."""
    assert not events(r, "panic"), events(r, "panic")
    assert events(r, "sc_done"), r["events"][-5:]
    assert r["outcome"] == "recovered", (r["outcome"], r["why"])
    assert r["manifested"]


def one_repair(r, what, by):
    """The trace's one kernel_repaired event, which must be of this kind
    and found this way."""
    rep = events(r, "kernel_repaired")
    assert len(rep) == 1, rep
    assert (rep[0].get("what"), rep[0].get("by")) == (what, by), rep
    return rep[0]
