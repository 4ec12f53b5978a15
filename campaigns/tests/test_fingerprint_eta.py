"""What a journal is resumed for (engine.fingerprint): every contract file
and the QEMU version count, not only the code; and the progress line's
time left reads in h/min/s."""

import shutil

from campaigns import engine


def tree(tmp_path):
    """A copy of what the fingerprint reads of the repository."""
    root = tmp_path / "root"
    for d in ("campaigns", "faultinj", "reports", "contract"):
        shutil.copytree(engine.ROOT / d, root / d, ignore=shutil.ignore_patterns("__pycache__",
                                                                                "tests", "out"))
    spec = root / "c.spec"
    spec.write_text("campaign c\nkv crash\n")
    return root, engine.Settings(spec=str(spec))


def test_every_contract_file_is_in_the_fingerprint(tmp_path):
    root, settings = tree(tmp_path)
    contract = sorted(p for p in (root / "contract").iterdir() if p.is_file())
    assert {p.name for p in contract} >= {"events.def", "guest_host.def", "events.py"}
    for p in contract:
        before = engine.fingerprint(settings, root=root, build=tmp_path)
        p.write_bytes(p.read_bytes() + b"\n")
        assert engine.fingerprint(settings, root=root, build=tmp_path) != before, p.name


def test_the_qemu_version_is_in_the_fingerprint(tmp_path, monkeypatch):
    root, settings = tree(tmp_path)
    assert engine.qemu_version().startswith("QEMU emulator version")
    before = engine.fingerprint(settings, root=root, build=tmp_path)
    monkeypatch.setattr(engine, "_qemu_version", "QEMU emulator version 0.0.1")
    assert engine.fingerprint(settings, root=root, build=tmp_path) != before


def test_time_left_in_hours_minutes_seconds():
    assert engine.duration_text(19168) == "5 h 19 min"
    assert engine.duration_text(3600) == "1 h 00 min"
    assert engine.duration_text(192) == "3 min 12 s"
    assert engine.duration_text(45.4) == "45 s"
    assert engine.duration_text(0) == "0 s"


def test_the_progress_line_says_it(monkeypatch):
    import io
    p = engine.Progress(1001, out=io.StringIO())
    monkeypatch.setattr(engine.time, "monotonic", lambda: p.t0 + 19.168)
    line = p.line({"id": "x", "ok": True, "outcome": "recovered", "host_seconds": 1.0})
    assert line.endswith("eta 5 h 19 min"), line
