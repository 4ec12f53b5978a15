"""The minimal reproducers of a campaign's failure signatures, kept in its
output directory beside the report:

- minimized.json  one entry per signature (outcome, first divergent event,
                  site's function): the experiment it was shrunk from, the
                  reproducer, how far each of trigger, load and steps went,
                  the runs it took, its three replays' trace digests, and
                  the `make gdb` command; a new minimisation of a signature
                  replaces its entry, the others stay;
- minimized.spec  every reproducer as a spec line (campaign NAME-minimized),
                  so `make gdb EXP=ID SPEC=.../minimized.spec` and `make
                  campaign SPEC=...` run them as they are.

campaigns/minimize_main.py writes them; the report (reports/build.py) shows
each signature's entry."""

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

JSON_NAME = "minimized.json"
SPEC_NAME = "minimized.spec"


def key(sig) -> str:
    """One signature as a string: outcome / event / function."""
    return " / ".join(sig)


def load(out_dir) -> Dict[str, Dict[str, Any]]:
    """signature key -> entry of out_dir's minimized.json ({} when there is
    none; an unreadable one is an error naming it, never silently empty)."""
    path = Path(out_dir) / JSON_NAME
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        entries = doc["reproducers"]
        return {key(e["signature"]): e for e in entries}
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: not a minimized.json ({type(e).__name__}: {e})") from None


def spec_text(campaign_name: str, entries: List[Mapping[str, Any]]) -> str:
    out = ["# minimal reproducers, one per failure signature: python3 -m campaigns minimize",
           f"campaign {campaign_name}-minimized", ""]
    for e in entries:
        out.append(f"# {key(e['signature'])} (shrunk from {e['from']['id']})")
        out.append(e["minimal"]["line"])
    return "\n".join(out) + "\n"


def save(out_dir, campaign_name: str, entry: Mapping[str, Any]) -> Dict[str, str]:
    """Add (or replace) one signature's entry; rewrites both files. Returns
    their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    entries = load(out)
    entries[key(entry["signature"])] = dict(entry)
    ordered = [entries[k] for k in sorted(entries)]
    paths = {"json": str(out / JSON_NAME), "spec": str(out / SPEC_NAME)}
    _write(paths["json"], json.dumps({"campaign": campaign_name, "reproducers": ordered},
                                     indent=1) + "\n")
    _write(paths["spec"], spec_text(campaign_name, ordered))
    return paths


def _write(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def for_signature(entries: Mapping[str, Mapping[str, Any]], outcome: str, event: str,
                  function: str) -> Optional[Mapping[str, Any]]:
    return entries.get(key((outcome, event, function)))
