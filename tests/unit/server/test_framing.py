"""The frame decoder: exact on valid streams, bounded and self-healing on hostile ones (R4)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.server.lsp.framing import MAX_HEADER_LINE, FrameDecoder, encode_frame

bodies = st.lists(
    st.dictionaries(st.text(max_size=8), st.text(max_size=40), max_size=4).map(
        lambda d: json.dumps(d).encode()
    ),
    min_size=1,
    max_size=8,
)


def feed_in_chunks(decoder: FrameDecoder, data: bytes, cuts: list[int]) -> list[bytes]:
    out, start = [], 0
    for cut in sorted(set(c % (len(data) + 1) for c in cuts)) + [len(data)]:
        out += decoder.feed(data[start:cut])
        start = cut
    return out


@given(bodies, st.lists(st.integers(min_value=0), max_size=20))
def test_any_chunking_yields_the_same_bodies(messages, cuts):
    stream = b"".join(encode_frame(body) for body in messages)
    assert feed_in_chunks(FrameDecoder(), stream, cuts) == messages


@given(
    bodies,
    st.lists(
        st.sampled_from(
            [
                b"Content-Length: -4\r\n\r\n{}",
                b"Content-Length: 99999999999999\r\n\r\nxx",
                b"Content-Length: abc\r\n\r\n",
                b"garbage without newline",
                b"\r\n\r\n",
                b"Content-Type: x\r\n\r\n",
                b"x" * (MAX_HEADER_LINE + 10),
            ]
        ),
        min_size=1,
        max_size=5,
    ),
    st.lists(st.integers(min_value=0), max_size=10),
)
@settings(max_examples=200)
def test_good_frames_after_bad_ones_survive(messages, junk, cuts):
    decoder = FrameDecoder(max_body=10_000)
    stream = b""
    for body, bad in zip(messages, junk * len(messages)):
        stream += bad + encode_frame(body)
    got = feed_in_chunks(decoder, stream, cuts)
    # every good frame that follows junk is recovered, in order
    assert got == messages


def test_memory_stays_bounded_under_a_huge_declared_length():
    decoder = FrameDecoder(max_body=1024)
    decoder.feed(b"Content-Length: 1099511627776\r\n\r\n")
    for _ in range(100):
        decoder.feed(b"y" * 65536)
    assert len(decoder._buffer) < 64
    assert decoder.feed(encode_frame(b'{"ok":1}')) == [b'{"ok":1}']
    assert decoder.rejected_frames == 1


def test_over_long_header_line_is_dropped_without_buffering_it_all():
    decoder = FrameDecoder()
    for _ in range(50):
        decoder.feed(b"z" * 65536)
    assert len(decoder._buffer) <= MAX_HEADER_LINE + 65536
    assert decoder.feed(b"\r\n" + encode_frame(b"{}")) == [b"{}"]
