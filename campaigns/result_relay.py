"""Experiment results travel home in pytest's test reports.

A worker puts each experiment's result on its test's report
(user_properties, which xdist sends to the controller with the report,
over ssh as well); the controller journals it unless its journal holds it
already. A worker on the controller's machine (xdist popen), or a run
without xdist, wrote it there itself (engine.run_one journals in the
process that ran the experiment); a worker on another machine wrote only
to its own. Either way the controller's journal ends up with every
experiment, and its report with them.
"""

import hashlib
import json
import os
from typing import Dict, List, Optional

from campaigns.journal import Journal

PROPERTY = "campaign_result"


def attach(record_property, result: Dict) -> None:
    """On the worker: the result rides on the test's report."""
    record_property(PROPERTY, json.dumps(result, default=str))


def result_of(report) -> Optional[Dict]:
    for name, value in getattr(report, "user_properties", ()):
        if name == PROPERTY:
            return json.loads(value)
    return None


def _digest(record: Dict) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()


class Home:
    """The controller's journal, as this process last read it: new lines
    are read as they come (others may append: local workers), so checking
    a result costs what was appended since, not the whole journal."""

    def __init__(self, journal: Journal):
        self.journal = journal
        self._offset = 0
        self._file = None                      # (device, inode) read so far
        self._latest: Dict[str, str] = {}      # id -> digest of its last record
        self.without_result: List[str] = []    # test reports that carried none

    def _catch_up(self) -> None:
        try:
            with open(self.journal.path, "rb") as f:
                st = os.fstat(f.fileno())
                if (st.st_dev, st.st_ino) != self._file or st.st_size < self._offset:
                    # another file (set aside, begun again) or truncated: read afresh
                    self._file, self._offset, self._latest = (st.st_dev, st.st_ino), 0, {}
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return
        end = data.rfind(b"\n") + 1            # a line being written waits for next time
        for raw in data[:end].split(b"\n"):
            try:
                rec = json.loads(raw)
            except ValueError:                 # empty, torn or damaged (Journal skips it too)
                continue
            if isinstance(rec, dict) and isinstance(rec.get("id"), str):
                self._latest[rec["id"]] = _digest(rec)
        self._offset += end

    def take(self, result: Dict) -> bool:
        """Journal the result unless the journal already holds it; True if
        it was written here."""
        if result.get("reused"):
            return False                       # it came from this journal
        self._catch_up()
        digest = _digest(result)
        if self._latest.get(result["id"]) == digest:
            return False
        self.journal.record(result)
        self._latest[result["id"]] = digest
        return True

    def report(self, report) -> None:
        """pytest_runtest_logreport on the controller, for one experiment's test."""
        if report.when != "call":
            return
        result = result_of(report)
        if result is None:
            if report.passed:                  # a pass the journal would never see
                self.without_result.append(report.nodeid)
            return
        self.take(result)
