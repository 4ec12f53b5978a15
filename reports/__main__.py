"""Command line: rebuild a campaign report from its journal.

    python3 -m reports OUT_DIR JOURNAL [--name NAME] [--coverage FILE] [--spec FILE]
                                       [--baseline FILE]

--coverage names a JSON file holding the coverage dict write_report takes;
--spec keeps only (and orders by) the experiments of that campaign spec,
judges each again from its recorded trace (campaigns.runner.reclassify_journal)
and gives the default name. The campaign engine writes its own report by
running exactly this command (campaigns/engine.py finish), so a report
rebuilt from a journal with its spec equals the engine's. Without --spec the
records are shown as journaled: there is no experiment to judge them by.
--baseline adds a comparison with that campaign (reports/compare.py; by
default OUT_DIR/baseline.json, when there is one).
"""

import argparse
import json
import os
import sys

from campaigns.journal import Journal
from reports.build import result_passed, write_report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m reports",
                                 description="Rebuild a fault campaign report from its journal.")
    ap.add_argument("out_dir", help="directory to write the report into")
    ap.add_argument("journal", help="JSON-lines journal of the campaign")
    ap.add_argument("--name", help="campaign name (default: from --spec or the journal file name)")
    ap.add_argument("--coverage", metavar="FILE",
                    help='JSON file {component: {"lines": pct, "branches": pct}, "html": path}')
    ap.add_argument("--spec", metavar="FILE",
                    help="campaign spec: report only its experiments, each judged again "
                         "from its trace (as the campaign engine's report is)")
    ap.add_argument("--baseline", metavar="FILE",
                    help="compare with this campaign (results.json, report directory or "
                         "trimmed baseline); default OUT_DIR/baseline.json if present")
    args = ap.parse_args(argv)

    if not os.path.exists(args.journal):
        print(f"python3 -m reports: no journal at {args.journal}", file=sys.stderr)
        return 2
    journal = Journal(args.journal)
    results = journal.results()
    if journal.skipped:
        print(f"python3 -m reports: skipped {journal.skipped} unreadable journal line(s)",
              file=sys.stderr)
    name = args.name
    if args.spec:
        from campaigns.spec import SpecError, load
        try:
            campaign = load(args.spec)
        except (OSError, SpecError) as e:
            print(f"python3 -m reports: {e}", file=sys.stderr)
            return 2
        from campaigns.runner import reclassify_journal
        results = reclassify_journal(results, campaign)
        name = name or campaign.name
    if not name:
        name = os.path.splitext(os.path.basename(args.journal))[0] or "campaign"
    coverage = None
    if args.coverage:
        try:
            with open(args.coverage, encoding="utf-8") as f:
                coverage = json.load(f)
        except (OSError, ValueError) as e:
            print(f"python3 -m reports: bad coverage file: {e}", file=sys.stderr)
            return 2
    try:
        paths = write_report(results, args.out_dir, name, coverage=coverage,
                             baseline=args.baseline)
    except ValueError as e:              # a baseline that cannot be read
        print(f"python3 -m reports: baseline: {e}", file=sys.stderr)
        return 2
    failed = sum(1 for r in results if not result_passed(r))
    print(f"{name}: {len(results)} experiments, {failed} failed; report in {paths['html']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
