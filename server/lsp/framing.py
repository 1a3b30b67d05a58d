"""Content-Length framing of JSON-RPC messages, hardened against hostile input (R4).

pygls' own reader trusts the header: ``Content-Length: 1099511627776`` makes it try to read a
terabyte and the process dies with MemoryError, and a garbage header line of unbounded length is
buffered whole. This decoder is incremental and bounded: header lines are capped, bodies over
``max_body`` are refused, malformed headers are reported and the stream re-synchronises at the
next ``Content-Length`` line instead of dying. Memory stays O(max_body) whatever arrives.
"""

from __future__ import annotations

import logging
import re
import time

from cairn import environment

logger = logging.getLogger(__name__)

MAX_HEADER_LINE = 8 * 1024  # real headers are ~40 bytes
DEFAULT_MAX_BODY = environment.DEFAULT_MAX_MESSAGE_BYTES  # a 60 MB didOpen is already absurd
_HEADER = re.compile(rb"[A-Za-z0-9-]+:")  # an RFC 7230 token then a colon


class _LogThrottle:
    """At most one warning per ``interval`` seconds; the rest are counted and summarised."""

    def __init__(self, interval: float = 5.0) -> None:
        self.interval = interval
        self._last = 0.0
        self._suppressed = 0

    def warn(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval:
            if self._suppressed:
                message += " (%d similar problems suppressed)"
                args = (*args, self._suppressed)
            logger.warning(message, *args)
            self._last = now
            self._suppressed = 0
        else:
            self._suppressed += 1


class FrameDecoder:
    """Turns a byte stream into message bodies. Feed bytes, get complete bodies back.

    After any malformed header the decoder drops bytes until the next ``Content-Length:``
    wherever it appears (the rest of a rejected body may have no newline before the next
    frame's header), so one bad frame never takes the following good ones with it.
    """

    _MARKER = b"Content-Length:"

    def __init__(self, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.max_body = max_body
        self._buffer = bytearray()
        self._length: int | None = None  # Content-Length of the frame whose headers we read
        self._in_body = False
        self._resync = False  # dropping bytes until the next Content-Length marker
        self._throttle = _LogThrottle()
        self.rejected_frames = 0

    def feed(self, data: bytes) -> list[bytes]:
        """Consume ``data`` and return every body completed by it, in order."""
        self._buffer += data
        bodies: list[bytes] = []
        while True:
            if self._resync and not self._skip_to_marker():
                break
            if self._in_body:
                assert self._length is not None
                if len(self._buffer) < self._length:
                    break
                bodies.append(bytes(self._buffer[: self._length]))
                del self._buffer[: self._length]
                self._length, self._in_body = None, False
                continue
            newline = self._buffer.find(b"\n", 0, MAX_HEADER_LINE + 1)
            if newline < 0:
                if len(self._buffer) > MAX_HEADER_LINE:
                    self._reject("Discarding an over-long header line")
                    continue
                break
            line = bytes(self._buffer[:newline]).rstrip(b"\r")
            if line and not _HEADER.match(line):
                # Junk glued before a real header ("...xContent-Length: 5"): keep the header.
                marker = line.find(self._MARKER)
                del self._buffer[: marker if marker > 0 else newline + 1]
                self._reject("Ignoring bytes that are not a header: %r", line[:80])
                self._resync = marker <= 0
                continue
            del self._buffer[: newline + 1]
            self._header_line(line)
        return bodies

    def _skip_to_marker(self) -> bool:
        found = self._buffer.find(self._MARKER)
        if found < 0:
            # keep a tail that may hold the start of a marker split across reads
            del self._buffer[: max(0, len(self._buffer) - len(self._MARKER) + 1)]
            return False
        del self._buffer[:found]
        self._resync = False
        return True

    def _reject(self, message: str, *args: object) -> None:
        self._throttle.warn(message + "; resynchronising", *args)
        self.rejected_frames += 1
        self._length = None
        self._resync = True

    def _header_line(self, line: bytes) -> None:
        if not line:  # a blank line ends the header block
            if self._length is None:
                return  # stray blank line between messages
            if self._length == 0:
                self._throttle.warn("Ignoring a message with Content-Length: 0")
                self._length = None
                return
            self._in_body = True
            return
        name, _, value = line.partition(b":")
        if name.lower() != b"content-length":
            return  # Content-Type and unknown headers carry nothing we need
        text = value.strip()
        if not text.isdigit() or len(text) > 18:
            self._reject("Rejecting a frame with Content-Length %r", text[:40])
            return
        length = int(text)
        if length > self.max_body:
            self._reject("Rejecting a %d-byte message (limit %d bytes)", length, self.max_body)
            return
        self._length = length


def encode_frame(body: bytes) -> bytes:
    """Frame one JSON body for the wire."""
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
