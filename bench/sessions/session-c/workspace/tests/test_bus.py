import os
import unittest
from unittest import mock

from hearthd import bus


class FakeSock:
    def __init__(self, incoming=b""):
        self.sent = []
        self.incoming = [incoming] if incoming else []

    def sendall(self, data):
        self.sent.append(data)

    def settimeout(self, t):
        pass

    def recv(self, n):
        if self.incoming:
            return self.incoming.pop(0)
        raise bus.socket.timeout()

    def close(self):
        pass


class CodecTests(unittest.TestCase):
    def test_roundtrip(self):
        line = bus.encode("PUB", "hearth/v2/x/set", {"state": "on"})
        self.assertEqual(bus.decode(line), ("PUB", "hearth/v2/x/set", {"state": "on"}))

    def test_topic_with_space_rejected(self):
        with self.assertRaises(bus.BusError):
            bus.encode("PUB", "bad topic", {})

    def test_topic_matching(self):
        self.assertTrue(bus.topic_matches("hearth/v2/+/state", "hearth/v2/th-1/state"))
        self.assertFalse(bus.topic_matches("hearth/v2/+/state", "hearth/v2/th-1/set"))
        self.assertTrue(bus.topic_matches("hearth/#", "hearth/v2/a/b/c"))
        self.assertFalse(bus.topic_matches("hearth/v2/+", "hearth/v2"))


class ClientTests(unittest.TestCase):
    def make(self, incoming=b""):
        sock = FakeSock(incoming)
        client = bus.BusClient("broker", 1883, "test-client",
                               connect=lambda addr, timeout: sock)
        return client, sock

    def test_connect_sends_auth(self):
        client, sock = self.make()
        with mock.patch.dict(os.environ, {bus.TOKEN_ENV: "tok"}):
            client.connect()
        self.assertTrue(sock.sent[0].startswith(b"AUTH test-client "))

    def test_connect_without_token(self):
        client, _ = self.make()
        with mock.patch.dict(os.environ, {}, clear=True):
            with self.assertRaises(bus.BusError):
                client.connect()

    def test_dispatch(self):
        got = []
        client, sock = self.make(b'PUB hearth/v2/th-1/state {"temperature":19.5}\n')
        client.subscribe("hearth/v2/+/state", lambda t, p: got.append((t, p)))
        with mock.patch.dict(os.environ, {bus.TOKEN_ENV: "tok"}):
            client.connect()
        self.assertEqual(client.poll(), 1)
        self.assertEqual(got, [("hearth/v2/th-1/state", {"temperature": 19.5})])

    def test_ping_answered(self):
        client, sock = self.make(b"PING broker {}\n")
        with mock.patch.dict(os.environ, {bus.TOKEN_ENV: "tok"}):
            client.connect()
        client.poll()
        self.assertTrue(any(s.startswith(b"PONG") for s in sock.sent))


if __name__ == "__main__":
    unittest.main()
