"""Twisted protocols for the Carbon ports: they frame bytes and hand whole batches on.

Parsing is in carbon_compat.parsers (pure); these classes only cut the stream into
complete lines or length-prefixed frames, enforce the framing limits, and pass what they
cut to the Ingest pipeline.  One receive call becomes one parse call, never one per line.

Framing limits, where Strata keeps the connection and carbon would drop it:
* a plaintext line longer than `max_line_length` is discarded up to its newline and counted
  (`line_too_long`); carbon's LineOnlyReceiver closes the connection;
* a pickle frame longer than `max_pickle_frame` is skipped (its bytes read and discarded,
  the stream stays in sync) and counted (`frame_too_long`); carbon closes the connection.
A pickle that names any global (a code-execution attempt) closes the connection.
What the TCP receivers cut is parsed by the factory's `parser` (carbon_compat.parse_pool):
in this process, or in worker processes.  UDP datagrams are parsed here.
"""

from __future__ import annotations

import logging
import struct

import numpy as np

from twisted.internet import protocol
from twisted.protocols.policies import TimeoutMixin

from .parse_pool import InlineParser
from .parse_worker import PICKLE, PLAINTEXT
from .parsers import Rejects, parse_plaintext_datagram

log = logging.getLogger("strata.carbon")


def _peer(transport) -> str:
    try:
        addr = transport.getPeer()
        return f"{addr.host}:{addr.port}"
    except Exception:   # transports in tests may not have a peer
        return "unknown"


class _CarbonStream(protocol.Protocol, TimeoutMixin):
    """Shared connection bookkeeping: registration for backpressure, limits, idle timeout,
    and `refuse` (the parser closing the connection)."""

    refused_input = False      # set once the parser closed the connection; later input is dropped

    def connectionMade(self):
        f = self.factory
        self.peer = _peer(self.transport)
        if f.connections >= f.limits.max_connections:
            f.ingest.note_rejects(_one("too_many_connections", self.peer), self.peer)
            self.transport.loseConnection()
            self.refused = True
            return
        self.refused = False
        f.connections += 1
        f.ingest.register(self.transport)
        if f.limits.idle_timeout:
            self.setTimeout(f.limits.idle_timeout)

    def connectionLost(self, reason=protocol.connectionDone):
        self.setTimeout(None)
        if not getattr(self, "refused", True):
            self.factory.connections -= 1
            self.factory.ingest.unregister(self.transport)

    def timeoutConnection(self):
        log.info("closing idle connection from %s", self.peer)
        self.transport.loseConnection()

    def now(self) -> float:
        return self.factory.clock.seconds()

    def refuse(self, reason: str, message: str, detail: str) -> None:
        """Count `reason`, log `message`, and close the connection; its later input is dropped."""
        if self.refused_input:
            return
        self.refused_input = True
        self.factory.ingest.note_rejects(_one(reason, detail), self.peer)
        log.warning("closing connection from %s: %s", self.peer, message)
        self._buffer = b""
        self.transport.abortConnection()


class PlaintextReceiver(_CarbonStream):
    """`metric value timestamp\\n` lines over TCP."""

    _buffer = b""
    _discarding = False

    def dataReceived(self, data: bytes) -> None:
        if self.refused_input:
            return
        self.resetTimeout()
        limit = self.factory.limits.max_line_length
        if self._discarding:
            cut = data.find(b"\n")
            if cut < 0:
                return
            self._discarding = False
            data = data[cut + 1:]
        buf = self._buffer + data if self._buffer else data
        end = buf.rfind(b"\n")
        if end < 0:
            self._keep_tail(buf, limit)
            return
        complete, tail = buf[:end + 1], buf[end + 1:]
        self._keep_tail(tail, limit)
        if len(complete) > limit:
            complete = self._without_long_lines(complete, limit)
        self.factory.parser.parse(self, PLAINTEXT, [complete], self.now())

    def _without_long_lines(self, complete: bytes, limit: int) -> bytes:
        """`complete` minus lines longer than `limit` (counted); newline positions via numpy."""
        ends = np.flatnonzero(np.frombuffer(complete, np.uint8) == 10)
        lengths = np.diff(ends, prepend=-1) - 1
        if lengths.max() <= limit:
            return complete
        lines = complete.split(b"\n")
        kept = [line for line in lines if len(line) <= limit]
        rejects = Rejects()
        for line in lines:
            if len(line) > limit:
                rejects.add("line_too_long", repr(line[:200]))
        self.factory.ingest.note_rejects(rejects, self.peer)
        return b"\n".join(kept)

    def _keep_tail(self, tail: bytes, limit: int) -> None:
        if len(tail) > limit:
            self.factory.ingest.note_rejects(_one("line_too_long", tail[:200]), self.peer)
            self._buffer = b""
            self._discarding = True
        else:
            self._buffer = tail

    def connectionLost(self, reason=protocol.connectionDone):
        # carbon drops an unterminated last line; so do we (it may be cut mid-number).
        self._buffer = b""
        super().connectionLost(reason)


class PickleReceiver(_CarbonStream):
    """4-byte big-endian length + pickle of [(metric, (timestamp, value)), ...] frames.

    Frames go to the factory's parser (in-process, or worker processes), which hands the
    points to Ingest in this connection's order, or calls `refuse`.
    """

    _buffer = b""
    _skip = 0

    def dataReceived(self, data: bytes) -> None:
        if self.refused_input:
            return
        self.resetTimeout()
        if self._skip:
            taken = min(self._skip, len(data))
            self._skip -= taken
            data = data[taken:]
        buf = self._buffer + data if self._buffer else data
        limits = self.factory.limits
        pos, frames = 0, []
        while len(buf) - pos >= 4:
            (length,) = struct.unpack_from("!I", buf, pos)
            if length > limits.max_pickle_frame:
                self.factory.ingest.note_rejects(_one("frame_too_long", f"{length} bytes"), self.peer)
                available = len(buf) - pos - 4
                self._skip = max(0, length - available)
                pos = min(len(buf), pos + 4 + length)
                continue
            if len(buf) - pos - 4 < length:
                break
            frames.append(buf[pos + 4:pos + 4 + length])
            pos += 4 + length
        self._buffer = buf[pos:]
        if frames:
            self.factory.parser.parse(self, PICKLE, frames, self.now())


class PlaintextDatagram(protocol.DatagramProtocol):
    """Plaintext lines over UDP, one or more per datagram."""

    noisy = False   # our own log says what listens where

    def __init__(self, ingest, clock):
        self.ingest = ingest
        self.clock = clock

    def datagramReceived(self, data: bytes, addr) -> None:
        peer = f"{addr[0]}:{addr[1]}" if addr else "unknown"
        if self.ingest.overloaded:
            # UDP cannot be paused: drop and count rather than buffer without bound.
            self.ingest.note_rejects(_one("overloaded", f"{len(data)} bytes"), peer)
            return
        batch, rejects = parse_plaintext_datagram(data, self.clock.seconds())
        self.ingest.submit(batch, rejects, peer)


class CarbonFactory(protocol.ServerFactory):
    noisy = False   # our own log says what listens where

    def __init__(self, protocol_class, ingest, limits, clock, parser=None):
        self.protocol = protocol_class
        self.ingest = ingest
        self.limits = limits
        self.clock = clock
        self.connections = 0
        self.parser = parser or InlineParser(ingest, limits.max_pickle_points)


def _one(reason: str, text) -> Rejects:
    r = Rejects()
    r.add(reason, text if isinstance(text, str) else repr(text))
    return r
