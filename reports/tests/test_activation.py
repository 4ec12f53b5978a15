"""The coverage report's fault-site activation (reports/activation.py):
per component, each site armed or fired, from armed_slots and the
verdict's evidence; a site armed and never fired shows as such."""

from reports.activation import activation, by_component


def _rec(service, slots, fired=(), site=None, site_function=None):
    return {"service": service, "site": site, "site_function": site_function,
            "armed_slots": [dict(s) for s in slots],
            "evidence": {"fired_sites": [dict(f) for f in fired]}}


def test_sites_armed_and_fired_per_component():
    rs = [
        _rec("kv", [{"site": "kv.put", "fault": "crash", "proc": "kv"}],
             [{"proc": "kv", "site": "kv.put", "type": "crash", "fired": 1}], site="kv.put"),
        _rec("kv", [{"site": "kv.put", "fault": "hang", "proc": "kv"}],
             [{"proc": "kv", "site": "kv.put", "type": "hang", "fired": 3}]),
        _rec("kv", [{"site": "kv.get", "fault": "crash", "proc": "kv"}]),          # never fired
        _rec("kernel", [{"site": "@114b8b", "fault": "crash", "proc": "kernel"}],
             [{"proc": "kernel", "site": "@114b8b", "type": "crash", "fired": 1}],
             site="@114b8b", site_function="kernel_call_trap"),
        _rec("kv", []),                                                               # lu_ok
    ]
    comps = {c["component"]: c for c in by_component(activation(rs))}
    assert set(comps) == {"kernel", "kv"}
    kv = {s["site"]: s for s in comps["kv"]["sites"]}
    assert (comps["kv"]["armed"], comps["kv"]["fired"]) == (2, 1)
    assert kv["kv.put"] == {"component": "kv", "site": "kv.put", "kind": "hand", "function": None,
                            "faults": ["crash", "hang"], "armed": 2, "fired": 2, "fires": 4}
    assert (kv["kv.get"]["armed"], kv["kv.get"]["fired"], kv["kv.get"]["fires"]) == (1, 0, 0)
    k = comps["kernel"]["sites"][0]
    assert (k["kind"], k["function"], k["fired"]) == ("auto", "kernel_call_trap", 1)


def test_a_record_without_evidence_counts_as_not_fired():
    r = _rec("kv", [{"site": "kv.put", "fault": "crash", "proc": "kv"}])
    r["evidence"] = None
    (row,) = activation([r])
    assert (row["armed"], row["fired"]) == (1, 0)


def test_an_automatic_site_is_shown_by_its_name_not_its_address():
    r = {"service": "kernel", "site": "kernel_call_trap#0", "site_address": "@114dda",
         "site_function": "kernel_call_trap",
         "armed_slots": [{"proc": "kernel", "site": "@114dda", "fault": "crash"}],
         "evidence": {"fired_sites": [{"proc": "kernel", "site": "@114dda", "fired": 1}]}}
    rows = activation([r])
    assert [(x["site"], x["kind"], x["function"], x["armed"], x["fired"]) for x in rows] == [
        ("kernel_call_trap#0", "auto", "kernel_call_trap", 1, 1)]
