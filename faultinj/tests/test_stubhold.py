"""faultinj/stubhold.py: the notice of who holds a stub, and GdbClient
refusing a held stub at once instead of waiting on it."""

import os
import socket
import subprocess
import time

import pytest

from faultinj import stubhold
from faultinj.gdbstub import GdbClient, GdbConnectionError


def test_claim_check_release(tmp_path):
    sock = str(tmp_path / "gdb.sock")
    stubhold.check_free(sock)                       # no notice: free
    stubhold.claim(sock, os.getpid(), "me", token="a")
    assert stubhold.holder(sock) == (os.getpid(), "me")
    with pytest.raises(stubhold.StubHeld, match=rf"held by {os.getpid()} \(me\)"):
        stubhold.check_free(sock)
    stubhold.release(sock, token="b")               # not ours: stays
    assert stubhold.holder(sock) is not None
    stubhold.release(sock, token="a")
    assert stubhold.holder(sock) is None and not os.path.exists(stubhold.notice_path(sock))


def test_notice_of_a_dead_holder_is_ignored(tmp_path):
    sock = str(tmp_path / "gdb.sock")
    p = subprocess.Popen(["true"])
    p.wait()
    stubhold.claim(sock, p.pid, "gone")
    stubhold.check_free(sock)


def test_client_refuses_a_held_stub_without_waiting(tmp_path):
    path = str(tmp_path / "gdb.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(2)                  # accepts connects, never answers: a held stub
    stubhold.claim(path, os.getpid(), "another client")
    t0 = time.monotonic()
    with pytest.raises(GdbConnectionError, match="is held by .* \\(another client\\)"):
        GdbClient(path, timeout=20).connect()
    assert time.monotonic() - t0 < 1
    srv.close()
