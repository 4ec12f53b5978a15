"""The host's side of the console ring (faultinj/conring.py), against a
ring written here the way the kernel writes it (os/kernel/conring.c):
byte number pos at CONRING_DATA + pos mod CONRING_RING, pos advanced."""

import struct

from faultinj import conring
from faultinj.conring import ConsoleRing

POS = 4          # conring_hdr.pos (the contract; checked below)


def put(ring: ConsoleRing, data: bytes) -> None:
    """Print as the kernel does."""
    pos = struct.unpack_from("<I", ring._map, POS)[0]
    while data:
        at = pos % conring.RING
        part = data[:conring.RING - at]
        ring._map[conring.DATA + at:conring.DATA + at + len(part)] = part
        data = data[len(part):]
        pos = (pos + len(part)) & 0xFFFFFFFF
    struct.pack_into("<I", ring._map, POS, pos)


def test_layout_is_the_contracts():
    from faultinj import contract
    assert contract.offset("conring_hdr", "pos") == POS
    assert conring.DATA + conring.RING <= conring.SHM
    assert 2 * conring.CHUNK <= conring.RING


def test_takes_in_order_and_starts_again(tmp_path):
    r = ConsoleRing(str(tmp_path))
    try:
        assert not r.in_use() and r.take() == b""
        put(r, b"hello ")
        put(r, b"world\n")
        assert r.take() == b"hello world\n"
        # taken with the machine stopped: the next byte goes to the start
        assert struct.unpack_from("<I", r._map, POS)[0] == 0
        assert r.take() == b""
        put(r, b"again")
        assert r.take() == b"again"
    finally:
        r.close()


def test_a_take_across_the_rings_end(tmp_path):
    r = ConsoleRing(str(tmp_path))
    try:
        struct.pack_into("<I", r._map, POS, conring.RING - 3)
        r._seen = conring.RING - 3           # as if taken up to there
        put(r, b"abcdefgh")
        assert r.take() == b"abcdefgh"
    finally:
        r.close()


def test_following_a_running_machine_does_not_move_pos(tmp_path):
    r = ConsoleRing(str(tmp_path))
    try:
        put(r, b"one ")
        assert r.take(reset=False) == b"one "
        put(r, b"two")
        assert r.take(reset=False) == b"two"
        assert struct.unpack_from("<I", r._map, POS)[0] == 7
        assert r.take() == b"" and r.notes == []
    finally:
        r.close()


def test_bytes_overwritten_before_a_take_are_counted(tmp_path):
    r = ConsoleRing(str(tmp_path))
    try:
        data = bytes(i % 251 for i in range(conring.RING + 100))
        put(r, data)
        got = r.take()
        assert got == data[100:]
        assert r.lost == 100 and "lost 100 bytes" in r.notes[0]
    finally:
        r.close()


def test_close_removes_the_file(tmp_path):
    r = ConsoleRing(str(tmp_path))
    import os
    assert os.path.getsize(r.path) == conring.SHM
    r.close()
    assert not os.path.exists(r.path)
