"""python3 -m campaigns golden [-o FILE] [--jobs N]
python3 -m campaigns run SPEC [--jobs N] [--only IDS] [--out DIR] [--fresh] [--coverage]
python3 -m campaigns generate [--sample N] [--seed S] [--name NAME] [--golden FILE] [-o FILE]
python3 -m campaigns generate --golden FILE --auto --sample N [--seed S] [--weight uniform|count]
                              [--faults a,b,...] [-o FILE]
python3 -m campaigns check SPEC [--only IDS] [--build DIR] [-q]
python3 -m campaigns gdb EXPERIMENT_ID [--spec SPEC] [--service NAME] [-- GDB ARGS...]
python3 -m campaigns theseus RESULTS_DIR [-v]
python3 -m campaigns reverdict RESULTS [--against OTHER]
python3 -m campaigns minimize ID [--spec SPEC] [--results RESULTS] [--budget N] [--out DIR]
python3 -m campaigns minimize --all --results RESULTS [--budget N]
python3 -m campaigns compare BASE NEW [-v] | compare --trim RESULTS -o FILE

Writes a campaign spec built from the fault sites of the built binaries
(python3 -m faultinj sites): every (service, site, fault type) that applies,
or a seeded sample of N of them. Edit it, then run it with
`make campaign SPEC=FILE`.

`golden` runs the workload once without a fault and counts how often each
fault site executes (campaigns/golden.py); `generate --golden FILE` then
aims only at sites that run executed.

`run` runs a campaign (campaigns/engine.py): checks it, resumes or sets
aside its journal, runs each experiment in N worker processes with a line
of progress each, and writes the report; `make campaign` uses it. Exit
status 1 if any experiment did not come out as required.

`check` refuses, with one message naming the file and line (or the
variable), a spec or ONLY= that `make campaign` could not run on the built
system (campaigns/check.py); `make campaign` runs it first.

`theseus` counts a campaign's kernel.ipc.* experiments per fault kind in
the Theseus classes panic / contained / lost / benign (campaigns/theseus.py);
`run` prints the same table at its end when the campaign has such faults.

`reverdict` classifies every record of a finished campaign again from its
own trace with today's verdict and tables the verdicts that changed, how
many and why (campaigns/reverdict.py); --against prints a second campaign's
outcome shares per fault type beside the first's.

`minimize` shrinks a failing experiment to its smallest reproducer with the
same failure signature (earliest trigger, fewest steps, shortest load),
each candidate a real run, confirms it with three byte-identical replays,
prints its spec line and `make gdb` command and keeps it in the
campaign's output directory for the report (campaigns/minimize_main.py).
`compare` compares a campaign with a baseline (each a results.json, a
report directory or a trimmed baseline, campaigns/baseline/*.json): the
survivability change per component x fault x policy with a one-sided
Fisher exact test, failure signatures that appeared or vanished, outcomes
that flipped; exit status 1 on a significant regression or a new signature
(reports/compare.py, run as `python3 -m reports.compare`: reports/ builds
on campaigns/, never the other way round). CI's gate (`make gate`).

`gdb` (make gdb EXP=ID SPEC=FILE) boots one experiment as the campaign
does, stops it at its plan point and hands it to gdb (campaigns/replay.py).
"""

import argparse
import os
import sys
from pathlib import Path

from faultinj import bootimage
from faultinj.elfsyms import ElfImage

from . import check, spec

# binaries whose sites are not campaign targets by default: the kernel's
# sites act for whichever process is running; RS's death halts the system
SKIP = {"kernel", "rs", "ktest", "peer", "victim", "lonely"}


def faults_for(site) -> list:
    """The fault types that make sense at a site."""
    name, kind = site["name"], site["kind"]
    if name == "sef.init":
        return ["init_fail"]
    if name == "sef.lu.prepare":
        return ["lu_timeout"]
    if name == "sef.pong":
        return ["drop"]
    if kind == 1:                           # FI_ERROR: an error path
        return ["error", "drop"] if name.endswith(".reply") else ["error"]
    faults = ["crash", "panic", "hang", "delay", "bitflip"]
    if name == "sef.ping":
        faults.append("stale_ping")
    return faults


def sites_of_build(include=(), golden=None):
    """golden: {binary: {site: hits}} of a golden run; sites it never saw
    executed are left out (a fault there could never fire)."""
    out = []
    image = set(check.services())
    for path in sorted(bootimage.BUILD.glob("*.elf")):
        # only the processes of a campaign's boot image can be aimed at
        # (kv2, kv3 are images kv is updated to, never started by name)
        if path.stem not in image or (path.stem in SKIP and path.stem not in include):
            continue
        for s in ElfImage(str(path)).fault_sites():
            if golden is not None and not golden.get(path.stem, {}).get(s.name):
                continue
            out.append({"service": path.stem, "name": s.name, "kind": s.kind})
    return out


def run_check(a) -> int:
    try:
        c = check.campaign_input(a.spec, a.only, build=Path(a.build), spec_var=a.spec_var,
                                 only_var=a.only_var)
    except check.InputError as e:
        print(f"campaign refused: {e}", file=sys.stderr)
        return 2
    if not a.quiet:
        n = len(check.select(c, a.only)) if a.only else len(c)
        print(f"{a.spec}: campaign {c.name}, {n} of {len(c)} experiments, "
              f"runnable on {a.build}", file=sys.stderr)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m campaigns")
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write a spec from the fault-site list")
    g.add_argument("--sample", type=int, help="keep a seeded sample of N experiments")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--name", default="generated")
    g.add_argument("--include", action="append", default=[], help="also target this binary")
    g.add_argument("-o", "--output", help="file to write (default: standard output)")
    g.add_argument("--golden", help="a golden run's site counts (campaigns golden -o FILE)")
    g.add_argument("--auto", action="store_true",
                   help="EDFI-style faults at automatic sites the golden run executed "
                        "(campaigns/faultload.py; needs --golden and --sample)")
    g.add_argument("--weight", default="count", help="with --auto: uniform (over sites) or count "
                                                     "(by how often each ran)")
    g.add_argument("--faults", help="with --auto: comma-separated fault types")
    gr = sub.add_parser("golden", help="count how often each fault site runs, fault-free")
    gr.add_argument("-o", "--output", help="file to write (default: standard output)")
    gr.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="counting runs side by side (machines at once)")
    k = sub.add_parser("check", help="check a spec (and ONLY=) against the built system")
    k.add_argument("spec", help="campaign spec file")
    k.add_argument("--only", default="", help="comma-separated experiment ids or globs")
    k.add_argument("--build", default=str(bootimage.BUILD), help="directory of the built ELF files")
    k.add_argument("--spec-var", default="SPEC", help="name of the spec's variable in messages")
    k.add_argument("--only-var", default="ONLY", help="name of ONLY's variable in messages")
    k.add_argument("-q", "--quiet", action="store_true", help="print nothing when all is well")
    c = sub.add_parser("run", help="run a campaign and write its report")
    c.add_argument("spec", help="campaign spec file")
    c.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    c.add_argument("--only", default="", help="comma-separated experiment ids or globs")
    c.add_argument("--out", help="report directory (default reports/out/<campaign name>, "
                   "reports/coverage/<campaign name> with --coverage)")
    c.add_argument("--fresh", action="store_true", help="set the journal aside, run everything")
    c.add_argument("--coverage", action="store_true", help="gcov counters (the coverage build)")
    c.add_argument("--baseline", help="a campaign the report compares with (results.json, "
                                      "report directory or campaigns/baseline/*.json)")
    t = sub.add_parser("theseus", help="panic/contained/lost/benign per kernel IPC fault kind")
    t.add_argument("results", help="a campaign's report directory (results.json or journal.jsonl)")
    t.add_argument("-v", "--verbose", action="store_true", help="one line per experiment too")
    v = sub.add_parser("reverdict", help="judge a campaign's traces again with today's verdict")
    v.add_argument("results", help="results.json, journal.jsonl or a report directory")
    v.add_argument("--against", help="a second campaign whose outcome shares to print beside")
    v.add_argument("--examples", type=int, default=2, help="example ids per kind of change")
    sub.add_parser("compare", help="compare a campaign with a baseline (reports/compare.py)")
    r = sub.add_parser("gdb", help="boot one experiment stopped at its plan point, under gdb")
    r.add_argument("exp", help="experiment id (as in the report's replay command)")
    r.add_argument("--spec", default="campaigns/specs/default.spec", help="campaign spec file")
    r.add_argument("--service", help="load only these programs' symbols (comma-separated)")
    r.add_argument("--console-log", help="write the guest's console here (default: beside the stub)")
    from . import minimize_main
    minimize_main.add_parser(sub)
    # what follows `--` goes to gdb as it is
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["compare"]:
        import subprocess
        root = Path(__file__).resolve().parent.parent
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(root)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
        return subprocess.run([sys.executable, "-m", "reports.compare"] + argv[1:],
                              env=env).returncode
    gdb_args = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    a = ap.parse_args(argv)
    if a.cmd == "check":
        return run_check(a)
    if a.cmd == "run":
        from . import engine
        if a.baseline and not os.path.exists(a.baseline):
            print(f"campaign refused: BASELINE={a.baseline}: no such file", file=sys.stderr)
            return 2
        settings = engine.Settings(spec=a.spec, only=a.only, out=a.out, fresh=a.fresh,
                                   coverage=a.coverage, baseline=a.baseline)
        try:
            s = engine.run_campaign(settings, jobs=max(1, a.jobs))
        except check.InputError as e:
            print(f"campaign refused: {e}", file=sys.stderr)
            return 2
        print(engine.summary_text(s))
        from . import theseus
        if theseus.has_ipc_faults(engine.load(settings).experiments):
            theseus.main(str(Path(s["report"]).parent))
        return 1 if s["failed"] else 0
    if a.cmd == "theseus":
        from . import theseus
        return theseus.main(a.results, verbose=a.verbose)
    if a.cmd == "reverdict":
        from . import reverdict
        return reverdict.main(a)
    if a.cmd == "minimize":
        from . import minimize_main
        return minimize_main.main(a)
    if a.cmd == "gdb":
        from . import replay
        services = [s for s in (a.service or "").split(",") if s] or None
        return replay.main(a.exp, a.spec, services, gdb_args, console_log=a.console_log)
    if a.cmd == "golden":
        from . import golden
        return golden.main(a.output or "", jobs=max(1, a.jobs))
    gold = None
    if a.golden:
        import json
        with open(a.golden) as f:
            gold = json.load(f)
    if a.auto:
        from . import faultload
        if gold is None or not a.sample:
            print("campaigns: generate --auto needs --golden FILE and --sample N", file=sys.stderr)
            return 2
        try:
            text = faultload.generate(gold, a.sample, a.seed, a.weight,
                                      a.faults.split(",") if a.faults else faultload.FAULTS,
                                      name=a.name if a.name != "generated" else "edfi")
        except (spec.SpecError, ValueError) as e:
            print(f"campaigns: {e}", file=sys.stderr)
            return 2
        if a.output:
            with open(a.output, "w") as f:
                f.write(text)
            print(f"wrote {text.count(chr(10) + chr(10)) and len(spec.parse(text).experiments)} "
                  f"experiments to {a.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return 0
    if gold is not None:
        from .golden import binaries
        gold = binaries(gold)
    sites = sites_of_build(a.include, gold)
    if not sites:
        print(f"campaigns: no fault sites in {bootimage.BUILD} (run make first)", file=sys.stderr)
        return 2
    try:
        c = spec.generate(sites, faults_for, sample=a.sample, seed=a.seed, name=a.name,
                          timeout=60)
    except (spec.SpecError, ValueError) as e:
        print(f"campaigns: {e}", file=sys.stderr)
        return 2
    text = spec.dump(c)
    if a.output:
        with open(a.output, "w") as f:
            f.write(text)
        print(f"wrote {len(c.experiments)} experiments to {a.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
