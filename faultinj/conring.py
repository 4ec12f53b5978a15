"""The host's side of the console ring (os/kernel/conring.c): the file
behind QEMU's ivshmem device, mapped here, from which the harness takes
what the kernel printed.

A machine booted with `console=ring` and this device prints its console
into the file instead of the UART: no system call per byte in QEMU, no
pipe that can fill and hold the guest. The host takes the bytes whenever
the machine is stopped (at each of its stops, and after QEMU has ended),
always at a point the guest defined, and sets the ring's pos back to 0.
Layout and constants: contract/guest_host.def (CONRING_*, conring_hdr).
"""

import mmap
import os
import shutil
import struct
import threading
from typing import List

from . import contract, leftovers

SHM = contract.CONSTS["CONRING_SHM"]
DATA = contract.CONSTS["CONRING_DATA"]
RING = contract.CONSTS["CONRING_RING"]
CHUNK = contract.CONSTS["CONRING_CHUNK"]
MAGIC = contract.CONSTS["CONRING_MAGIC"]
_POS = contract.offset("conring_hdr", "pos")
_MAGIC = contract.offset("conring_hdr", "magic")
# tmpfs when there is one: the file is memory QEMU and the host share
# (on a disk the guest's writes would be written back to it)
SHM_DIR = "/dev/shm"
PREFIX = "faultinj-ring-"


class ConsoleRing:
    """One machine's ring: its file (removed by close) and the map."""

    def __init__(self, tmpdir: str):
        # a dir of its own that names its owner, so that a run killed before
        # close() leaves nothing a later one does not remove
        # (qemu.clean_stale_tmpdirs)
        self._dir = None
        if os.path.isdir(SHM_DIR) and os.access(SHM_DIR, os.W_OK):
            self._dir = leftovers.owned_dir(PREFIX, SHM_DIR)
        self.path = os.path.join(self._dir or tmpdir, "conring")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.ftruncate(fd, SHM)
            self._map = mmap.mmap(fd, SHM)
        finally:
            os.close(fd)
        self._seen = 0                   # pos at the last take
        self._lock = threading.Lock()    # a console follower and the end's drain
        self.lost = 0                    # bytes overwritten before they were taken

    def qemu_args(self) -> List[str]:
        """The device. master=on: QEMU may save and load the machine
        (savevm/loadvm) with its memory, which it refuses for a peer."""
        return ["-object", f"memory-backend-file,id=conring,size={SHM},mem-path={self.path},share=on",
                "-device", "ivshmem-plain,memdev=conring,master=on"]

    def in_use(self) -> bool:
        """The kernel found the device and prints here."""
        return struct.unpack_from("<I", self._map, _MAGIC)[0] == MAGIC

    def take(self, reset: bool = True) -> bytes:
        """The bytes printed since the last take, in order. reset (only with
        the machine stopped or gone): the next byte goes to the ring's
        start; without it (a reader following a running machine) the
        next take goes on from here. More than the ring holds since the
        last take cannot happen with the harness's watchpoint at
        conring_drain_point; if it did, the oldest are gone, counted in
        lost (Qemu says so in the run's notes)."""
        with self._lock:
            return self._take(reset)

    def _take(self, reset: bool) -> bytes:
        pos = struct.unpack_from("<I", self._map, _POS)[0]
        n = (pos - self._seen) & 0xFFFFFFFF
        if n > RING:
            self.lost += n - RING
            n = RING
        start = (pos - n) % RING
        first = min(n, RING - start)
        data = self._map[DATA + start:DATA + start + first]
        if first < n:
            data += self._map[DATA:DATA + n - first]
        if reset:
            struct.pack_into("<I", self._map, _POS, 0)
            self._seen = 0
        else:
            self._seen = pos
        return data

    def close(self) -> None:
        try:
            self._map.close()
        except (ValueError, BufferError):
            pass
        try:
            os.unlink(self.path)
        except OSError:
            pass
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
