"""The host's side of the console ring (faultinj/conring.py), against a
ring written here the way the kernel writes it (os/kernel/conring.c):
byte number pos at CONRING_DATA + pos mod CONRING_RING, pos advanced."""

import os
import struct

import pytest

from faultinj import conring
from faultinj.conring import ConsoleRing

POS = conring._POS                # conring_hdr.pos, from the contract


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


@pytest.fixture
def ring(tmp_path):
    r = ConsoleRing(str(tmp_path))
    yield r
    r.close()


def test_layout_is_the_contracts():
    from faultinj import contract
    assert contract.offset("conring_hdr", "pos") == POS
    assert conring.DATA + conring.RING <= conring.SHM
    assert 2 * conring.CHUNK <= conring.RING


def test_takes_in_order_and_starts_again(ring):
    assert not ring.in_use() and ring.take() == b""
    put(ring, b"hello ")
    put(ring, b"world\n")
    assert ring.take() == b"hello world\n"
    # taken with the machine stopped: the next byte goes to the start
    assert struct.unpack_from("<I", ring._map, POS)[0] == 0
    assert ring.take() == b""
    put(ring, b"again")
    assert ring.take() == b"again"


def test_a_take_across_the_rings_end(ring):
    struct.pack_into("<I", ring._map, POS, conring.RING - 3)
    ring._seen = conring.RING - 3            # as if taken up to there
    put(ring, b"abcdefgh")
    assert ring.take() == b"abcdefgh"


def test_following_a_running_machine_does_not_move_pos(ring):
    put(ring, b"one ")
    assert ring.take(reset=False) == b"one "
    put(ring, b"two")
    assert ring.take(reset=False) == b"two"
    assert struct.unpack_from("<I", ring._map, POS)[0] == 7
    assert ring.take() == b"" and ring.lost == 0


def test_bytes_overwritten_before_a_take_are_counted(ring):
    data = bytes(i % 251 for i in range(conring.RING + 100))
    put(ring, data)
    assert ring.take() == data[100:]
    assert ring.lost == 100


def test_bytes_lost_are_said_in_the_runs_notes():
    """What the ring lost reaches the event stream's notes, and so the
    run's (PlannedRun.notes): a run's record says its trace is not whole."""
    from faultinj.qemu import Qemu
    q = Qemu("kernel.elf", console_ring=True)
    try:
        q.command()                          # makes the ring
        mark = q.serial.new_run()
        first = b"\x1e#EV t=1 who=kernel ev=boot modules=1 mem_kb=1 free_frames=1\n"
        put(q.ring, first + b"x" * conring.RING)
        q.drain()
        said = f"lost {len(first)} bytes"
        assert any(said in n for n in q.serial.notes_since(mark)), q.serial.notes
        assert any(said in n for n in q.serial.notes)
        assert q.serial.notes_since(q.serial.new_run()) == []
    finally:
        q.close()


def test_close_removes_the_file(tmp_path):
    r = ConsoleRing(str(tmp_path))
    assert os.path.getsize(r.path) == conring.SHM
    r.close()
    assert not os.path.exists(r.path)


def test_a_ring_whose_owner_died_is_removed():
    """A run killed before close() leaves its ring's dir in /dev/shm; the
    next run's clean-up removes it (a live owner's stays)."""
    import subprocess
    from faultinj import qemu
    live = ConsoleRing("/nonexistent")
    dead = ConsoleRing("/nonexistent")
    assert os.path.dirname(dead.path).startswith(conring.SHM_DIR)
    child = subprocess.Popen(["true"])
    child.wait()
    with open(os.path.join(os.path.dirname(dead.path), "owner.pid"), "w") as f:
        f.write(str(child.pid))
    try:
        removed = qemu.clean_stale_tmpdirs()
        assert os.path.dirname(dead.path) in removed and not os.path.exists(dead.path)
        assert os.path.exists(live.path)
    finally:
        live.close()
        dead.close()
