"""pytest harness: build the OS once, then give tests a way to boot it.

`boot_os(modules, timeout=...)` boots a boot image under deterministic QEMU
(TCG, icount) and returns the RunResult once the guest has shut down. The
QEMU process is always cleaned up, even when the test fails or times out.
"""

import pytest

from faultinj import bootimage
from faultinj.qemu import Qemu


@pytest.fixture(scope="session")
def os_built():
    # every xdist worker runs make; make is idempotent and cheap when built
    bootimage.build()
    return bootimage.BUILD


@pytest.fixture
def boot_os(os_built):
    started = []

    def boot(mods, timeout=60.0, **kw):
        q = Qemu(bootimage.kernel_path(), bootimage.modules(mods), timeout=timeout, **kw)
        started.append(q)
        with q:
            return q.wait()

    yield boot
    for q in started:
        q.close()


@pytest.fixture
def live_os(os_built):
    """Start the OS and hand back a function that boots an image and returns
    a Console on it, once RS says every boot service is up."""
    from faultinj.console import Console
    started = []

    def start(mods=None, timeout=120.0, wait_ready=True, **kw):
        mods = bootimage.system() if mods is None else mods
        q = Qemu(bootimage.kernel_path(), bootimage.modules(mods), timeout=timeout, **kw)
        started.append(q)
        q.start()
        con = Console(q)
        if wait_ready:
            con.wait_ready(timeout=60)
        return con

    yield start
    for q in started:
        q.close()


@pytest.fixture
def fi_os(os_built):
    """Boot the OS with the GDB stub attached; returns a function that
    starts a faultinj Session (arm faults at boot or later)."""
    from faultinj.session import Session
    sessions = []

    def start(mods=None, **kw):
        s = Session(bootimage.system() if mods is None else mods, **kw)
        sessions.append(s)
        return s

    yield start
    for s in sessions:
        s.close()
