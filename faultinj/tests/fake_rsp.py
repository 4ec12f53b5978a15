"""A small fake GDB remote stub on a UNIX socket, for testing GdbClient.

It speaks just enough RSP (framing, acks, optional no-ack mode, RLE
replies) and can misbehave on request: corrupt a reply's checksum, NAK a
packet, close mid-packet, or never answer.
"""

import socket
import struct
import threading


def _cs(data: bytes) -> bytes:
    return b"%02x" % (sum(data) & 0xFF)


def rle_encode(text: bytes) -> bytes:
    """Run-length encode like a stub would (counts avoiding '#' and '$')."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        run = 1
        while i + run < len(text) and text[i + run] == c and run < 97:
            run += 1
        extra = run - 1
        if extra >= 3 and extra not in (6, 7):
            out.append(c)
            out += b"*" + bytes((extra + 29,))
        else:
            out += bytes((c,)) * run
        i += run
    return bytes(out)


class FakeStub:
    def __init__(self, path, *, noack=True, rle=False, mem_base=0x1000,
                 mem_size=0x4000):
        self.path = str(path)
        self.noack_supported = noack
        self.rle = rle
        self.mem_base = mem_base
        self.mem = bytearray(mem_size)
        self.regs = list(range(0x100, 0x100 + 16))
        self.received = []          # payloads received, in order
        self.read_sizes = []        # lengths asked by 'm'
        self.corrupt_reply_once = set()   # request prefixes: first reply bad
        self.nak_once = set()             # request prefixes: NAK first try
        self.close_mid_packet_on = None   # request prefix: send half, close
        self.silent_on = None             # request prefix: never answer
        self.naks_received = 0
        self.breakpoints = set()
        self.auto_stop_after = 0.1        # seconds after 'c'; None: never
        self._ack = True
        self._running = False
        self._srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._srv.bind(self.path)
        self._srv.listen(1)
        self._conn = None
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    # -- plumbing ----------------------------------------------------------
    def close(self):
        for s in (self._conn, self._srv):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
        self._thread.join(timeout=5)

    def _serve(self):
        try:
            self._conn, _ = self._srv.accept()
        except OSError:
            return
        self._conn.settimeout(10)
        buf = bytearray()
        try:
            while True:
                pkt = self._next_packet(buf)
                if pkt is None:
                    return
                if not self._handle(pkt):
                    return
        except OSError:
            return

    def _recv(self, buf):
        data = self._conn.recv(4096)
        if not data:
            return False
        buf += data
        return True

    def _next_packet(self, buf):
        while True:
            while buf and buf[0] != ord("$"):
                c = buf.pop(0)
                if c == 0x03 and self._running:
                    self._running = False
                    self._send(b"T02thread:01;")
                elif c == ord("-"):
                    self.naks_received += 1
            end = buf.find(b"#")
            if buf and end >= 0 and len(buf) >= end + 3:
                payload = bytes(buf[1:end])
                cs = bytes(buf[end + 1:end + 3])
                del buf[:end + 3]
                if cs != _cs(payload):
                    self._conn.sendall(b"-")
                    continue
                if self._ack:
                    if self._match(self.nak_once, payload):
                        self._conn.sendall(b"-")
                        continue
                    self._conn.sendall(b"+")
                return payload
            if not self._recv(buf):
                return None

    @staticmethod
    def _match(prefixes, payload):
        for p in list(prefixes):
            if payload.startswith(p):
                prefixes.discard(p)
                return True
        return False

    def _send(self, payload: bytes, corrupt=False):
        body = rle_encode(payload) if self.rle else payload
        cs = _cs(body)
        if corrupt:
            bad = b"%02x" % ((int(cs, 16) + 1) & 0xFF)
            self._conn.sendall(b"$" + body + b"#" + bad)
        else:
            self._conn.sendall(b"$" + body + b"#" + cs)
        if self._ack:
            # Wait for the client's ack; resend on NAK.
            while True:
                c = self._conn.recv(1)
                if not c:
                    raise OSError("client gone")
                if c == b"+":
                    return
                if c == b"-":
                    self.naks_received += 1
                    self._conn.sendall(b"$" + body + b"#" + cs)

    # -- requests ----------------------------------------------------------
    def _handle(self, p: bytes) -> bool:
        self.received.append(p)
        if self.close_mid_packet_on and p.startswith(self.close_mid_packet_on):
            self._conn.sendall(b"$00112233")
            self._conn.close()
            return False
        if self.silent_on and p.startswith(self.silent_on):
            return True
        corrupt = self._match(self.corrupt_reply_once, p)
        reply = self._reply(p)
        if reply is not None:
            self._send(reply, corrupt=corrupt)
        if p == b"QStartNoAckMode":
            self._ack = False
        return True

    def _reply(self, p: bytes):
        if p.startswith(b"qSupported"):
            feats = b"PacketSize=1000"
            if self.noack_supported:
                feats += b";QStartNoAckMode+"
            return feats
        if p == b"QStartNoAckMode":
            return b"OK" if self.noack_supported else b""
        if p == b"?":
            return b"S05"
        if p.startswith(b"m"):
            addr, n = (int(x, 16) for x in p[1:].split(b","))
            self.read_sizes.append(n)
            if n > 2048:
                return b"E22"
            off = addr - self.mem_base
            if off < 0 or off + n > len(self.mem):
                return b"E14"
            return self.mem[off:off + n].hex().encode()
        if p.startswith(b"M"):
            head, data = p[1:].split(b":", 1)
            addr, n = (int(x, 16) for x in head.split(b","))
            off = addr - self.mem_base
            if off < 0 or off + n > len(self.mem) or len(data) != 2 * n:
                return b"E14"
            self.mem[off:off + n] = bytes.fromhex(data.decode())
            return b"OK"
        if p == b"g":
            regs = b"".join(struct.pack("<I", r) for r in self.regs)
            return regs.hex().encode() + b"xxxxxxxx" * 4
        if p.startswith(b"P"):
            n, v = p[1:].split(b"=")
            self.regs[int(n, 16)] = struct.unpack("<I", bytes.fromhex(v.decode()))[0]
            return b"OK"
        if p.startswith(b"Z0,") or p.startswith(b"z0,"):
            addr = int(p.split(b",")[1], 16)
            (self.breakpoints.add if p[:1] == b"Z" else self.breakpoints.discard)(addr)
            return b"OK"
        if p == b"c":
            self._running = True
            # Stop by itself shortly if nobody interrupts, after some console output.
            if self.auto_stop_after is not None:
                threading.Timer(self.auto_stop_after, self._auto_stop).start()
            return None
        if p == b"D":
            return b"OK"
        return b""  # unsupported

    def _auto_stop(self):
        if self._running:
            self._running = False
            try:
                self._send(b"O" + b"hi\n".hex().encode())
                self._send(b"T05thread:01;")
            except OSError:
                pass
