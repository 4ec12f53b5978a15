"""A small GDB remote-serial-protocol client for QEMU's gdbstub.

Enough of the protocol to read and write guest memory and registers, set
breakpoints, continue and interrupt -- without a gdb binary.  Every socket
read has a deadline, so a QEMU that exits or hangs under us gives a
GdbError instead of a hang.
"""

import os
import socket
import struct
import sys
import time
from typing import Dict, Optional, Tuple, Union

from . import stubhold

# QEMU's stub buffers packets of at most 4096 bytes; 2048 bytes of memory
# is 4096 hex digits, the largest read reply that fits the measured limit.
MAX_READ_CHUNK = 2048
DEFAULT_PACKET_SIZE = 4096

I386_REGS = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
             "eip", "eflags", "cs", "ss", "ds", "es", "fs", "gs")

_RETRANSMITS = 5


class GdbError(Exception):
    """The stub refused a request or the protocol went wrong.

    `code` holds NN of an `E NN` reply, else None.
    """

    def __init__(self, message: str, code: Optional[int] = None):
        super().__init__(message)
        self.code = code


class GdbConnectionError(GdbError, ConnectionError):
    """The connection is gone (QEMU exited, peer closed, not connectable)."""


class GdbTimeout(GdbError, TimeoutError):
    """No answer from the stub within the timeout."""


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def escape(data: bytes) -> bytes:
    """Binary escaping for outgoing packets: } # $ * become } x^0x20."""
    out = bytearray()
    for b in data:
        if b in b"}#$*":
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return bytes(out)


def decode_payload(raw: bytes) -> bytes:
    """Undo run-length encoding, then binary escapes, of a received payload.

    The order follows gdb's remote.c: `*` repeats the previous raw byte
    (count = next byte - 29) and `}` escapes are removed afterwards.
    """
    rle = bytearray()
    i, n = 0, len(raw)
    while i < n:
        b = raw[i]
        if b == 0x2A:  # '*'
            if not rle or i + 1 >= n:
                raise GdbError(f"bad run-length encoding in {raw[:64]!r}")
            count = raw[i + 1] - 29
            if count < 0:
                raise GdbError(f"bad run-length count in {raw[:64]!r}")
            rle += bytes((rle[-1],)) * count
            i += 2
        else:
            rle.append(b)
            i += 1
    out = bytearray()
    i, n = 0, len(rle)
    while i < n:
        b = rle[i]
        if b == 0x7D:  # '}'
            if i + 1 >= n:
                raise GdbError("dangling escape at end of packet")
            out.append(rle[i + 1] ^ 0x20)
            i += 2
        else:
            out.append(b)
            i += 1
    return bytes(out)


Address = Union[str, Tuple[str, int]]


class GdbClient:
    def __init__(self, path_or_addr: Address, timeout: float = 5.0):
        self.address = path_or_addr
        self.timeout = timeout
        self.sock: Optional[socket.socket] = None
        self._buf = bytearray()
        self.ack_mode = True
        self.packet_size = DEFAULT_PACKET_SIZE
        self.features: Dict[str, str] = {}
        self.running = False
        self.last_stop: Optional[str] = None
        self.console = bytearray()  # 'O' packets from the stub, decoded
        self._claim: Optional[str] = None   # token of our holder notice (unix sockets)

    # -- connection --------------------------------------------------------
    def connect(self, *, no_ack: bool = True) -> "GdbClient":
        """Connect (retrying until the socket exists) and handshake."""
        deadline = time.monotonic() + self.timeout
        last_err: Optional[Exception] = None
        while True:
            if isinstance(self.address, str):
                # a stub someone holds would take our connect and never
                # answer: say who holds it instead (faultinj/stubhold.py)
                try:
                    stubhold.check_free(self.address)
                except stubhold.StubHeld as e:
                    raise GdbConnectionError(str(e)) from None
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.settimeout(max(0.05, deadline - time.monotonic()))
                s.connect(self.address)
                break
            except (FileNotFoundError, ConnectionRefusedError, socket.timeout) as e:
                # QEMU creates the socket a few ms after start: retry.
                s.close()
                last_err = e
                if time.monotonic() >= deadline:
                    raise GdbConnectionError(
                        f"cannot connect to {self.address!r} within "
                        f"{self.timeout} s: {last_err}") from None
                time.sleep(0.01)
            except OSError as e:
                s.close()
                raise GdbConnectionError(f"cannot connect to {self.address!r}: {e}") from e
        if isinstance(self.address, tuple):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = s
        self._buf.clear()
        self.ack_mode = True
        try:
            self._handshake(no_ack)
        except BaseException:
            self.close()
            raise
        if isinstance(self.address, str):
            self._claim = f"{os.getpid()}-{id(self)}"
            what = "faultinj harness: " + " ".join(os.path.basename(a) for a in sys.argv[:3])
            try:
                stubhold.claim(self.address, os.getpid(), what, self._claim)
            except OSError:
                self._claim = None       # the socket's dir is gone: nothing to tell
        return self

    def _handshake(self, no_ack: bool):
        reply = self.request("qSupported:swbreak+;hwbreak+")
        for item in reply.split(";"):
            if not item:
                continue
            if "=" in item:
                k, v = item.split("=", 1)
                self.features[k] = v
            else:
                self.features[item[:-1] if item[-1] in "+-?" else item] = item[-1]
        if "PacketSize" in self.features:
            try:
                self.packet_size = int(self.features["PacketSize"], 16)
            except ValueError:
                pass
        if no_ack and self.features.get("QStartNoAckMode") == "+":
            if self.request("QStartNoAckMode") == "OK":
                self.ack_mode = False

    def close(self) -> None:
        if self._claim is not None:
            stubhold.release(self.address, self._claim)
            self._claim = None
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def __enter__(self) -> "GdbClient":
        return self.connect() if self.sock is None else self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- raw I/O -----------------------------------------------------------
    def _sock(self) -> socket.socket:
        if self.sock is None:
            raise GdbConnectionError("not connected")
        return self.sock

    def _send_raw(self, data: bytes) -> None:
        try:
            self._sock().sendall(data)
        except OSError as e:
            self.close()
            raise GdbConnectionError(f"send failed: {e}") from e

    def _fill(self, deadline: float) -> None:
        """Read more bytes into the buffer, or raise by the deadline."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise GdbTimeout("timed out waiting for the stub")
        sock = self._sock()
        sock.settimeout(remaining)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            raise GdbTimeout("timed out waiting for the stub") from None
        except OSError as e:
            self.close()
            raise GdbConnectionError(f"receive failed: {e}") from e
        if not data:
            self.close()
            raise GdbConnectionError("connection closed by the stub")
        self._buf += data

    def _deadline(self, timeout: Optional[float]) -> float:
        return time.monotonic() + (self.timeout if timeout is None else timeout)

    def send_packet(self, payload: Union[str, bytes],
                    timeout: Optional[float] = None) -> None:
        """Send one packet; in ack mode wait for '+' and resend on '-'."""
        data = payload.encode("latin-1") if isinstance(payload, str) else payload
        frame = b"$" + data + b"#%02x" % checksum(data)
        deadline = self._deadline(timeout)
        for _ in range(_RETRANSMITS):
            self._send_raw(frame)
            if not self.ack_mode:
                return
            ack = self._read_ack(deadline)
            if ack == b"+":
                return
        raise GdbError(f"stub rejected packet {_RETRANSMITS} times: {frame[:64]!r}")

    def _read_ack(self, deadline: float) -> bytes:
        while True:
            while self._buf:
                c = bytes(self._buf[:1])
                if c in (b"+", b"-"):
                    del self._buf[0]
                    return c
                if c == b"$" or c == b"%":
                    # A packet before the ack: QEMU never does this, so
                    # treat it as an implicit ack and leave it buffered.
                    return b"+"
                del self._buf[0]  # line noise
            self._fill(deadline)

    def read_packet(self, timeout: Optional[float] = None) -> bytes:
        """Receive one packet payload (decoded); acks it in ack mode."""
        deadline = self._deadline(timeout)
        while True:
            start = self._buf.find(b"$")
            if start < 0:
                # Stray acks and noise before a packet are dropped.
                self._buf.clear()
                self._fill(deadline)
                continue
            if start:
                del self._buf[:start]
            end = self._buf.find(b"#")
            while end < 0 or len(self._buf) < end + 3:
                self._fill(deadline)
                end = self._buf.find(b"#")
            raw = bytes(self._buf[1:end])
            cs_text = bytes(self._buf[end + 1:end + 3])
            del self._buf[:end + 3]
            try:
                good = int(cs_text, 16) == checksum(raw)
            except ValueError:
                good = False
            if self.ack_mode:
                self._send_raw(b"+" if good else b"-")
                if not good:
                    continue  # the stub retransmits
            elif not good:
                raise GdbError(f"bad checksum in no-ack mode: {raw[:64]!r}")
            return decode_payload(raw)

    def request(self, payload: Union[str, bytes],
                timeout: Optional[float] = None) -> str:
        """Send a packet, return the reply text; `E NN` raises GdbError."""
        self.send_packet(payload, timeout)
        reply = self.read_packet(timeout).decode("latin-1")
        _check_error(reply, payload)
        return reply

    def _request_ok(self, payload: str, what: str) -> None:
        reply = self.request(payload)
        if reply == "":
            raise GdbError(f"{what} not supported by the stub ({payload!r})")
        if reply != "OK":
            raise GdbError(f"{what}: unexpected reply {reply!r}")

    # -- queries -----------------------------------------------------------
    def halt_reason(self) -> str:
        reply = self.request("?")
        self.last_stop = reply
        return reply

    def read_memory(self, addr: int, length: int) -> bytes:
        out = bytearray()
        while length > 0:
            n = min(length, MAX_READ_CHUNK)
            reply = self.request(f"m{addr:x},{n:x}")
            try:
                chunk = bytes.fromhex(reply)
            except ValueError:
                raise GdbError(f"bad memory reply at {addr:#x}: {reply[:64]!r}") from None
            if len(chunk) == 0:
                raise GdbError(f"empty memory reply at {addr:#x}")
            # A stub may answer with fewer bytes than asked; keep going.
            out += chunk
            addr += len(chunk)
            length -= len(chunk)
        return bytes(out)

    def write_memory(self, addr: int, data: bytes) -> None:
        # 'M' sends two hex digits per byte plus a header; stay in the packet.
        chunk = max(1, min(MAX_READ_CHUNK, (self.packet_size - 32) // 2))
        for off in range(0, len(data), chunk):
            piece = data[off:off + chunk]
            self._request_ok(f"M{addr + off:x},{len(piece):x}:{piece.hex()}",
                             "memory write")

    def read_u32(self, addr: int) -> int:
        return struct.unpack("<I", self.read_memory(addr, 4))[0]

    def write_u32(self, addr: int, value: int) -> None:
        self.write_memory(addr, struct.pack("<I", value & 0xFFFFFFFF))

    def read_registers(self) -> Dict[str, Optional[int]]:
        """i386 general registers from 'g'; None for ones the stub marks 'xx'."""
        reply = self.request("g")
        need = len(I386_REGS) * 8
        if len(reply) < need:
            raise GdbError(f"short register reply ({len(reply)} hex digits)")
        regs: Dict[str, Optional[int]] = {}
        for i, name in enumerate(I386_REGS):
            text = reply[i * 8:(i + 1) * 8]
            if "x" in text:
                regs[name] = None
            else:
                regs[name] = struct.unpack("<I", bytes.fromhex(text))[0]
        return regs

    def write_register(self, name: str, value: int) -> None:
        """Set one i386 register with 'P' (register numbers as in I386_REGS)."""
        regno = I386_REGS.index(name)
        self._request_ok(f"P{regno:x}={struct.pack('<I', value & 0xFFFFFFFF).hex()}",
                         "register write")

    # -- breakpoints -------------------------------------------------------
    def set_breakpoint(self, addr: int, hw: bool = False) -> None:
        # kind 1: the length of int3 on x86.
        self._request_ok(f"Z{1 if hw else 0},{addr:x},1", "breakpoint")

    def remove_breakpoint(self, addr: int, hw: bool = False) -> None:
        self._request_ok(f"z{1 if hw else 0},{addr:x},1", "breakpoint removal")

    def set_watchpoint(self, addr: int, length: int = 4, kind: str = "w") -> None:
        """kind: 'w' write, 'r' read, 'a' access."""
        z = {"w": 2, "r": 3, "a": 4}[kind]
        self._request_ok(f"Z{z},{addr:x},{length:x}", "watchpoint")

    def remove_watchpoint(self, addr: int, length: int = 4, kind: str = "w") -> None:
        z = {"w": 2, "r": 3, "a": 4}[kind]
        self._request_ok(f"z{z},{addr:x},{length:x}", "watchpoint removal")

    # -- execution ---------------------------------------------------------
    def cont(self) -> None:
        """Resume the guest; does not wait for it to stop."""
        self.send_packet("c")
        self.running = True

    def step(self, timeout: Optional[float] = None) -> str:
        self.send_packet("s")
        self.running = True
        return self.wait_stop(timeout)

    def wait_stop(self, timeout: Optional[float] = None) -> str:
        """Wait for a stop reply (S/T/W/X packet) and return it.

        'O' console-output packets that arrive meanwhile are collected in
        self.console.
        """
        deadline = self._deadline(timeout)
        while True:
            reply = self.read_packet(max(0.0, deadline - time.monotonic())
                                     ).decode("latin-1")
            if reply.startswith("O") and reply != "OK":
                try:
                    self.console += bytes.fromhex(reply[1:])
                except ValueError:
                    pass
                continue
            _check_error(reply, "stop reply")
            self.running = False
            self.last_stop = reply
            return reply

    def interrupt(self, timeout: Optional[float] = None) -> str:
        """Stop a running guest (0x03) and return the stop reply.

        If the guest is already stopped (QEMU stops it on connect and at
        every stop reply), asks '?' instead: QEMU ignores 0x03 while
        stopped and no reply would ever come.
        """
        if not self.running:
            return self.halt_reason()
        self._send_raw(b"\x03")
        return self.wait_stop(timeout)

    def detach(self) -> None:
        """Detach (QEMU resumes the guest) and close the connection."""
        try:
            if self.sock is not None:
                reply = self.request("D")
                if reply not in ("OK", ""):
                    raise GdbError(f"detach: unexpected reply {reply!r}")
        finally:
            self.close()


def _check_error(reply: str, request) -> None:
    # 'E' followed by two hex digits is an error; 'E.text' is the newer form.
    if len(reply) == 3 and reply[0] == "E":
        try:
            code = int(reply[1:], 16)
        except ValueError:
            return
        raise GdbError(f"stub error {reply} for {_short(request)}", code=code)
    if reply.startswith("E."):
        raise GdbError(f"stub error {reply[2:]!r} for {_short(request)}")


def _short(request) -> str:
    text = request.decode("latin-1") if isinstance(request, bytes) else str(request)
    return repr(text if len(text) <= 40 else text[:40] + "...")
