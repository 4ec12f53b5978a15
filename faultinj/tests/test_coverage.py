"""Rebuilding .gcda files from the console stream, including streams that
interleave, are cut off or are corrupt."""

from faultinj.coverage import extract


def stream(who, path, data, *, bytes_=None, sum_=None, chunk=8):
    lines = [f"#GCOV who={who} file={path}"]
    for i in range(0, len(data), chunk):
        lines.append(f"#GCDA {who} {data[i:i + chunk].hex()}")
    lines.append(f"#GCOV-END who={who} bytes={len(data) if bytes_ is None else bytes_} "
                 f"sum={sum(data) % 2**32 if sum_ is None else sum_}")
    return lines


def test_one_file():
    data = bytes(range(40))
    files, problems = extract("\n".join(["noise", *stream("kv", "/x/a.gcda", data), "more"]))
    assert files == {("kv", "/x/a.gcda"): data} and problems == []


def test_interleaved_binaries_are_kept_apart():
    a, b = stream("kv", "/x/s.gcda", b"A" * 30), stream("echo", "/x/s.gcda", b"B" * 30)
    mixed = [x for pair in zip(a, b) for x in pair] + a[len(b):] + b[len(a):]
    files, problems = extract("\r\n".join(mixed))
    assert files[("kv", "/x/s.gcda")] == b"A" * 30
    assert files[("echo", "/x/s.gcda")] == b"B" * 30
    assert problems == []


def test_corrupt_and_cut_streams_are_dropped_with_a_reason():
    bad_sum = stream("kv", "/x/a.gcda", b"abc", sum_=1)
    bad_len = stream("vm", "/x/b.gcda", b"abc", bytes_=9)
    cut = stream("ds", "/x/c.gcda", b"abcdef")[:-1]
    bad_hex = ["#GCOV who=pm file=/x/d.gcda", "#GCDA pm zz", "#GCOV-END who=pm bytes=1 sum=1"]
    files, problems = extract("\n".join(bad_sum + bad_len + bad_hex + cut))
    assert files == {}
    text = " ".join(problems)
    assert "a.gcda from kv: length or checksum" in text
    assert "b.gcda from vm: length or checksum" in text
    assert "d.gcda from pm: bad hex" in text
    assert "c.gcda from ds: stream cut off" in text


def test_restarted_stream_reports_the_lost_one():
    first = stream("kv", "/x/a.gcda", b"abc")[:-1]
    files, problems = extract("\n".join(first + stream("kv", "/x/b.gcda", b"xyz")))
    assert list(files) == [("kv", "/x/b.gcda")]
    assert problems == ["/x/a.gcda from kv: no end line"]


def test_a_file_not_of_this_build_is_left_out_with_its_reason(tmp_path, monkeypatch):
    """What a corrupted image's dump gives (garbage, or another object's
    stamp) is never merged: only files whose version and stamp are their
    .gcno's, and the others are named."""
    from faultinj import bootimage, coverage
    monkeypatch.setattr(bootimage, "ROOT", tmp_path)
    obj = tmp_path / "b" / "x.c"
    obj.parent.mkdir()
    obj.with_suffix(".c.gcno").write_bytes(b"oncg" + b"B33*" + b"\x01\x02\x03\x04" + b"rest")
    good = b"adcg" + b"B33*" + b"\x01\x02\x03\x04" + bytes(8)
    stale = b"adcg" + b"B33*" + b"\x09\x09\x09\x09" + bytes(8)
    path = str(obj.with_suffix(".c.gcda"))
    assert coverage.matches_gcno(path, good)
    assert not coverage.matches_gcno(path, stale)
    assert not coverage.matches_gcno(path, b"garbage of any length")
    assert not coverage.matches_gcno(str(tmp_path / "b" / "none.c.gcda"), good)
    text = "\n".join(stream("kv.1", path, stale) + stream("kv.2", path, b"\0" * 20))
    n, problems = coverage.add_run(text, tmp_path / "acc")
    assert n == 0 and len(problems) == 2 and all("not of this build" in p for p in problems)
    assert not list((tmp_path / "acc").rglob("*.gcda")) if (tmp_path / "acc").exists() else True
    n, problems = coverage.add_run("\n".join(stream("kv.3", path, good)), tmp_path / "acc")
    assert (n, problems) == (1, []) and len(list((tmp_path / "acc").rglob("*.gcda"))) == 1


def _merge(acc, tree, started):
    from faultinj.coverage import merge_into
    started.touch()
    merge_into(acc, tree)


def test_a_merge_waiting_for_the_lock_leaves_the_counters_alone(tmp_path):
    """Campaign workers merge into one tree, each replacing it whole under
    the lock; a worker still waiting must not touch it (it once made the
    tree between another's rmtree and copytree: EEXIST, counters lost).
    Spawned, not forked: a forked child would hold the lock itself."""
    import fcntl
    import multiprocessing
    import time
    tree = tmp_path / "run" / "kv"
    (tree / "os").mkdir(parents=True)
    (tree / "os" / "a.gcda").write_bytes(b"adcg")
    acc = tmp_path / "out" / "gcda"
    acc.parent.mkdir()
    with open(acc.parent / "gcda.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = tmp_path / "started"
        p = multiprocessing.get_context("spawn").Process(target=_merge, args=(acc, tree, started))
        p.start()
        for _ in range(300):
            if started.exists() or not p.is_alive():
                break
            time.sleep(0.1)
        p.join(0.5)
        assert p.is_alive() and not acc.exists()
    p.join(10)
    assert p.exitcode == 0
    assert (acc / "os" / "a.gcda").read_bytes() == b"adcg"
