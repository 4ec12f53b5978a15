"""Fault-site activation: which fault sites a campaign armed and which of
them fired, per component, a section of the coverage report.

Line coverage says which code ran; this says which of the campaign's
faults were ever live in it. A site armed in many experiments that never
fired is a fault the campaign believes it tested and did not. Everything
comes from the result records: `armed_slots` (what the runner wrote into
the fault table) and the sites the verdict's evidence says fired (the
trace's `fi_fired` events, the kernel's word, with its running count). Hand sites are named (`kv.get`),
automatic ones by function and block (`kv_put#3`), shown with their
function.
"""

from typing import Any, Dict, Iterable, List, Mapping

from faultinj.autosites import is_name


def _alias(result: Mapping[str, Any]) -> Dict[str, str]:
    """An automatic site's address in the build that ran -> the name the
    spec gave it (the guest, and so the armed slot and fi_fired, know only
    the address)."""
    if result.get("site_address") and result.get("site"):
        return {str(result["site_address"]): str(result["site"])}
    return {}


def _fired(result: Mapping[str, Any]) -> Dict[tuple, int]:
    """(component, site) -> times it fired in this run, from the verdict's
    evidence (campaigns/evidence.fired_sites): reports read no trace. The
    kernel names an automatic site by its address; the spec (and so the
    armed slot) by function and block: the record's site_address says
    which address its named site had in the build that ran."""
    out: Dict[tuple, int] = {}
    alias = _alias(result)
    for f in (result.get("evidence") or {}).get("fired_sites") or ():
        site = str(f.get("site") or "?")
        key = (str(f.get("proc") or "?"), alias.get(site, site))
        out[key] = max(out.get(key, 0), int(f.get("fired") or 1))
    return out


def activation(results: Iterable[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """One row per (component, site) armed or fired anywhere in the
    campaign: experiments that armed it, experiments in which it fired,
    times it fired in all, the fault types armed there, and for an
    automatic site its function. Sorted by component, then site."""
    rows: Dict[tuple, Dict[str, Any]] = {}

    def row(comp: str, site: str) -> Dict[str, Any]:
        return rows.setdefault((comp, site), {
            "component": comp, "site": site, "kind": "auto" if is_name(site) else "hand",
            "function": None, "faults": set(), "armed": 0, "fired": 0, "fires": 0})

    for r in results:
        armed_here = set()
        alias = _alias(r)
        for slot in r.get("armed_slots") or ():
            comp, site = str(slot.get("proc") or r.get("service") or "?"), str(slot.get("site") or "?")
            site = alias.get(site, site)
            x = row(comp, site)
            x["faults"].add(str(slot.get("fault") or "?"))
            if site == r.get("site") and r.get("site_function"):
                x["function"] = r["site_function"]
            armed_here.add((comp, site))
        for key in armed_here:
            rows[key]["armed"] += 1
        for key, n in _fired(r).items():
            x = row(*key)
            x["fired"] += 1
            x["fires"] += n
    out = []
    for key in sorted(rows):
        x = rows[key]
        out.append(dict(x, faults=sorted(x["faults"])))
    return out


def by_component(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Per component: sites armed, of them fired, and the rows."""
    comps: Dict[str, Dict[str, Any]] = {}
    for x in rows:
        c = comps.setdefault(x["component"], {"component": x["component"], "armed": 0,
                                                "fired": 0, "sites": []})
        c["armed"] += 1 if x["armed"] else 0
        c["fired"] += 1 if x["fired"] else 0
        c["sites"].append(x)
    return [comps[k] for k in sorted(comps)]
