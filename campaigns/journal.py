"""Append-only journal of finished experiments (JSON lines), for resuming.

Each finished experiment is one line: the result dict as compact JSON.
record() appends the line with a single write() under an exclusive flock
and fsyncs before returning, so a campaign killed at any moment loses no
finished experiment, and several pytest-xdist workers (processes) may
append to the same file at once without interleaving.

Reading is forgiving: a line that is not a JSON object with a string "id"
(typically the torn last line of a writer killed mid-write) is skipped and
counted in `Journal.skipped`, never fatal.  A later record() first ends such
a torn line, so the new record stays readable.  When an id occurs several
times the last record wins (a re-run replaces an earlier result).
"""

from __future__ import annotations

import fcntl
import json
import os
from typing import Any, Dict, Iterable, List, Mapping, Set


class Journal:
    def __init__(self, path: str):
        self.path = os.fspath(path)
        self.skipped = 0  # unreadable lines seen by the last read
        self.bad_lines = []  # (line number, why) of those lines

    def record(self, result: Mapping[str, Any]) -> None:
        """Append one result (it must have a string "id") and fsync it."""
        if not isinstance(result.get("id"), str) or not result["id"]:
            raise ValueError("a journal record needs a non-empty string 'id'")
        # ensure_ascii keeps the line free of raw newlines and odd bytes
        line = json.dumps(dict(result), separators=(",", ":"), default=str).encode()
        d = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(d, exist_ok=True)
        created = not os.path.exists(self.path)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line  # end a line torn by a killed writer
                data = line + b"\n"
                while data:
                    n = os.write(fd, data)
                    data = data[n:]
                os.fsync(fd)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        if created:
            _fsync_dir(d)

    def _read(self) -> List[Dict[str, Any]]:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            self.skipped = 0
            self.bad_lines = []
            return []
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            chunks = []
            while True:
                b = os.read(fd, 1 << 20)
                if not b:
                    break
                chunks.append(b)
        finally:
            os.close(fd)  # also drops the lock
        records, bad = [], []
        for lineno, raw in enumerate(b"".join(chunks).split(b"\n"), 1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw)
            except ValueError:  # bad JSON or bad UTF-8: a torn or damaged line
                bad.append((lineno, "not a JSON record (torn or damaged)"))
                continue
            if isinstance(rec, dict) and isinstance(rec.get("id"), str):
                records.append(rec)
            else:
                bad.append((lineno, "JSON without an experiment id"))
        self.skipped = len(bad)
        self.bad_lines = bad
        return records

    def records(self) -> List[Dict[str, Any]]:
        """Every readable record, in file order (duplicates included)."""
        return self._read()

    def results(self) -> List[Dict[str, Any]]:
        """One record per id, the last one written; ordered by first appearance."""
        last: Dict[str, Dict[str, Any]] = {}
        for rec in self._read():
            last[rec["id"]] = rec
        return list(last.values())

    def done_ids(self) -> Set[str]:
        """Ids with at least one recorded result."""
        return {rec["id"] for rec in self._read()}

    def pending(self, campaign: Iterable[Any], rerun_errors: bool = False) -> List[Any]:
        """Experiments of `campaign` (anything iterable of objects with .id)
        that have no result yet; with rerun_errors, also those whose last
        result carries a harness error (its "error" field is set)."""
        latest = {r["id"]: r for r in self.results()}
        out = []
        for exp in campaign:
            rec = latest.get(exp.id)
            if rec is None or (rerun_errors and (rec.get("error")
                                                 or rec.get("outcome") == "harness_error")):
                out.append(exp)
        return out


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
