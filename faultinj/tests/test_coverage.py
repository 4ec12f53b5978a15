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
