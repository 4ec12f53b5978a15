"""Unit tests for faultinj.gdbstub against a fake RSP stub (no QEMU)."""

import threading
import time

import pytest

from faultinj.gdbstub import (GdbClient, GdbConnectionError, GdbError,
                              GdbTimeout, decode_payload, escape)
from faultinj.tests.fake_rsp import FakeStub, rle_encode


@pytest.fixture
def sock_path(tmp_path):
    return str(tmp_path / "gdb.sock")


@pytest.fixture
def stub(sock_path):
    s = FakeStub(sock_path)
    yield s
    s.close()


@pytest.fixture
def client(stub, sock_path):
    c = GdbClient(sock_path, timeout=2.0).connect()
    yield c
    c.close()


def test_decode_rle_and_escapes():
    assert decode_payload(b"0* ") == b"0000"          # ' ' = 32 -> 3 more
    assert decode_payload(b"ab}\x03c") == b"ab#c"
    assert decode_payload(rle_encode(b"1" * 50 + b"23" + b"4" * 9)) == \
        b"1" * 50 + b"23" + b"4" * 9
    assert decode_payload(escape(b"}#$*x")) == b"}#$*x"
    with pytest.raises(GdbError):
        decode_payload(b"*x")


def test_handshake_no_ack(client, stub):
    assert client.ack_mode is False
    assert client.packet_size == 0x1000
    assert stub.received[:2] == [b"qSupported:swbreak+;hwbreak+", b"QStartNoAckMode"]
    assert client.halt_reason() == "S05"


def test_stays_in_ack_mode_when_unsupported(sock_path):
    stub = FakeStub(sock_path, noack=False)
    try:
        with GdbClient(sock_path, timeout=2.0) as c:
            assert c.ack_mode is True
            assert c.halt_reason() == "S05"
            assert b"QStartNoAckMode" not in stub.received
    finally:
        stub.close()


def test_memory_roundtrip_chunked(client, stub):
    data = bytes(range(256)) * 20   # 5120 bytes: three reads
    client.write_memory(0x1100, data)
    assert client.read_memory(0x1100, len(data)) == data
    assert stub.read_sizes == [2048, 2048, 1024]
    client.write_u32(0x1000, 0xDEADBEEF)
    assert client.read_u32(0x1000) == 0xDEADBEEF
    assert bytes(stub.mem[0:4]) == b"\xef\xbe\xad\xde"


def test_error_reply(client):
    with pytest.raises(GdbError) as ei:
        client.read_memory(0x10, 4)
    assert ei.value.code == 0x14
    # The connection is still usable after an error reply.
    assert client.halt_reason() == "S05"


def test_rle_reply(sock_path):
    stub = FakeStub(sock_path, rle=True)
    try:
        with GdbClient(sock_path, timeout=2.0) as c:
            stub.mem[0x10:0x20] = b"\xaa" * 16
            assert c.read_memory(0x1000, 64) == bytes(stub.mem[:64])
            assert c.read_registers()["eax"] == 0x100
    finally:
        stub.close()


def test_bad_checksum_reply_is_retransmitted(sock_path):
    stub = FakeStub(sock_path, noack=False)
    try:
        with GdbClient(sock_path, timeout=2.0) as c:
            stub.mem[0:4] = b"\x01\x02\x03\x04"
            stub.corrupt_reply_once.add(b"m")
            assert c.read_memory(0x1000, 4) == b"\x01\x02\x03\x04"
            assert stub.naks_received == 1
    finally:
        stub.close()


def test_client_retransmits_on_nak(sock_path):
    stub = FakeStub(sock_path, noack=False)
    try:
        with GdbClient(sock_path, timeout=2.0) as c:
            stub.nak_once.add(b"?")
            assert c.halt_reason() == "S05"
            assert stub.received.count(b"?") == 1
    finally:
        stub.close()


def test_registers(client, stub):
    regs = client.read_registers()
    assert list(regs)[:3] == ["eax", "ecx", "edx"]
    assert regs["eip"] == 0x108 and regs["gs"] == 0x10F
    client.write_register("eax", 0x12345678)
    assert stub.regs[0] == 0x12345678


def test_breakpoints_and_unsupported(client, stub):
    client.set_breakpoint(0x100020)
    assert 0x100020 in stub.breakpoints
    client.remove_breakpoint(0x100020)
    assert not stub.breakpoints
    with pytest.raises(GdbError, match="not supported"):
        client.set_breakpoint(0x100020, hw=True)


def test_cont_wait_stop_collects_console(client):
    client.cont()
    assert client.running
    assert client.wait_stop(2.0) == "T05thread:01;"
    assert bytes(client.console) == b"hi\n"
    assert not client.running


def test_interrupt(client, stub):
    stub.auto_stop_after = None
    client.cont()
    assert client.interrupt(2.0).startswith("T02")
    # Already stopped: answered by '?' instead of a 0x03 nobody replies to.
    assert client.interrupt(2.0) == "S05"


def test_wait_stop_times_out(client, stub):
    stub.auto_stop_after = None
    client.cont()
    t0 = time.monotonic()
    with pytest.raises(GdbTimeout):
        client.wait_stop(0.2)
    assert time.monotonic() - t0 < 1.5


def test_peer_closes_mid_packet(client, stub):
    stub.close_mid_packet_on = b"m"
    t0 = time.monotonic()
    with pytest.raises(GdbConnectionError):
        client.read_memory(0x1000, 16)
    assert time.monotonic() - t0 < 1.5
    assert isinstance(GdbConnectionError("x"), ConnectionError)
    with pytest.raises(GdbConnectionError):
        client.halt_reason()


def test_silent_stub_times_out(sock_path):
    stub = FakeStub(sock_path)
    try:
        c = GdbClient(sock_path, timeout=0.3).connect()
        stub.silent_on = b"?"
        t0 = time.monotonic()
        with pytest.raises(GdbTimeout):
            c.halt_reason()
        assert time.monotonic() - t0 < 1.5
        c.close()
    finally:
        stub.close()


def test_connect_waits_for_socket(sock_path):
    holder = {}
    t = threading.Timer(0.2, lambda: holder.setdefault("stub", FakeStub(sock_path)))
    t.start()
    try:
        c = GdbClient(sock_path, timeout=3.0).connect()
        assert c.halt_reason() == "S05"
        c.detach()
        assert c.sock is None
    finally:
        t.join()
        holder["stub"].close()


def test_connect_gives_up(tmp_path):
    t0 = time.monotonic()
    with pytest.raises(GdbConnectionError):
        GdbClient(str(tmp_path / "none.sock"), timeout=0.2).connect()
    assert time.monotonic() - t0 < 1.5
