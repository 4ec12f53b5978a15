"""What a failure is and which one: a result record's outcome, whether its
fault fired, whether it failed (anything but benign or recovered, or not as
required), and its failure signature (outcome, first divergent event, the
site's function), read from the evidence the verdict kept
(campaigns/evidence.py), never from the trace. The report groups failures
by it (reports/survival.py) and the minimiser keeps it while it shrinks an
experiment (campaigns/minimize.py): one definition for both."""

from typing import Any, Mapping, Optional, Tuple

# the outcomes that mean the system survived the fault: it took no notice,
# or RS recovered the service with every answer right and all state kept
SURVIVED = ("benign", "recovered")

# experiments that inject no fault: a plain live update (lu_ok) tests the
# update path; it keeps its own row but stays out of the all-faults figures
NO_FAULT = frozenset({"lu_ok"})

# a record without a recovery policy ran with the service's own
DEFAULT_POLICY = "default"


def outcome_of(r: Mapping[str, Any]) -> str:
    return str(r.get("outcome") or "none")


def policy_of(r: Mapping[str, Any]) -> str:
    p = r.get("policy")
    return DEFAULT_POLICY if p in (None, "") else str(p)


def was_activated(r: Mapping[str, Any]) -> bool:
    """Whether the experiment's fault fired: the verdict's `activated`.
    A record without that field (older tools) is taken at its outcome:
    the verdict says not_activated only of a run whose fault never fired,
    and any other outcome of such a run names a failure worth counting.
    A live update (lu_ok, NO_FAULT) arms no fault; its stimulus is the
    update request, which always happens, so it counts as activated unless
    classified otherwise."""
    if outcome_of(r) == "not_activated":
        return False
    if r.get("fault") in NO_FAULT:
        return True
    a = r.get("activated")
    return a if isinstance(a, bool) else True


def is_failure(r: Mapping[str, Any]) -> bool:
    """An activated experiment that did not come out as required: marked
    not ok, or an outcome other than benign/recovered (even one the spec
    expected, such as a boot service's init failure halting the system:
    survivable it is not).  Not-activated runs are no failure of anything."""
    return was_activated(r) and (r.get("ok") is False or outcome_of(r) not in SURVIVED)


# what a record journaled before the verdict kept its evidence shows instead
# of a divergence and of timeline marks (rebuilding the report from the
# journal with its spec, python3 -m reports --spec, judges it again)
NO_EVIDENCE = ("no evidence in this record (journaled before the verdict kept it): "
               "no divergence and no marks; rebuild from the journal with --spec")


def evidence_of(r: Mapping[str, Any]) -> Optional[Mapping[str, Any]]:
    """The verdict's evidence the record carries (campaigns/evidence.py),
    or None for a record without it."""
    ev = r.get("evidence")
    return ev if isinstance(ev, Mapping) and ev else None


def divergence(r: Mapping[str, Any]) -> Tuple[str, Optional[str]]:
    """(label, event line) of the first event after the fault that left the
    normal recovery path, as the verdict found it; ("none", None) when it
    found none or the record has no evidence."""
    ev = evidence_of(r)
    d = ev.get("divergence") if ev else None
    if not isinstance(d, Mapping) or not d.get("label"):
        return "none", None
    line = d.get("event")
    return str(d["label"]), str(line) if line is not None else None


def site_function(r: Mapping[str, Any]) -> str:
    """The function the fault site lies in: site_function when the record
    has it (automatic @address sites), else the site's name (hand sites
    are named after their place); a spec that left the site to the fault's
    default names it only in the fault's firing, which the evidence keeps;
    "(default site)" when even that is missing."""
    ev = evidence_of(r)
    named = r.get("site_function") or r.get("site") or (ev.get("site") if ev else None)
    return str(named) if named else "(default site)"


def signature(r: Mapping[str, Any]) -> Tuple[str, str, str]:
    """(outcome, first divergent event, site's function) of one record."""
    return outcome_of(r), divergence(r)[0], site_function(r)

