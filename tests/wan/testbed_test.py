#!/usr/bin/env python3
"""The WAN testbed (bench/wan/testbed.py) and delay_relay, from outside.

Cleanup: a testbed held by `testbed.py hold` (a hub, two shaped hosts, a
process in each) is gone, namespaces, the root veth and the processes, after
SIGINT, after SIGTERM, after a failure inside it, and after SIGKILL once
`testbed.py cleanup` ran. Shaping: each host's link carries tbf at the rate
asked for. delay_relay: a round trip through it takes at least twice its
delay, a MiB crosses it intact both ways, and a half-close passes through.

Needs root (exit 77, skipped, without it) and DELAY_RELAY, the binary.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

SOURCE = os.environ.get("SNAPSTREAM_SOURCE_DIR",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TESTBED = os.path.join(SOURCE, "bench", "wan", "testbed.py")
RELAY = os.environ.get("DELAY_RELAY", "")


def netns():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return [l.split()[0] for l in out.splitlines() if l.strip()]


def links():
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    return re.findall(r"^\d+:\s+([^:@\s]+)", out, re.M)


def pids_named(pattern):
    r = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return [int(p) for p in r.stdout.split()]


def wait_for(cond, what, limit=30):
    deadline = time.monotonic() + limit
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Held:
    """`testbed.py hold` running, its tag and namespaces read off its first line."""

    def __init__(self, *extra):
        self.proc = subprocess.Popen([sys.executable, TESTBED, "hold", *extra], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"testbed tag=(\S+) hosts=(\S+),(\S+) netem=", line)
        if not m:
            self.proc.kill()
            raise AssertionError(f"testbed did not come up: {line!r} {self.proc.stderr.read()!r}")
        self.tag, self.hosts = m.group(1), [m.group(2), m.group(3)]

    def close(self):
        self.proc.stdout.close()
        self.proc.stderr.close()

    def namespaces(self):
        return [n for n in netns() if n.startswith(self.tag + "-")]

    def root_links(self):
        return [l for l in links() if l.startswith(self.tag)]

    def sleepers(self):
        # The process each host runs: `sleep 3600` inside the host's namespace.
        out = []
        for ns in self.hosts:
            r = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
            out += [int(p) for p in r.stdout.split()]
        return out


class Cleanup(unittest.TestCase):
    def assert_up(self, held):
        self.assertEqual(sorted(held.namespaces()), sorted([held.tag + "-hub"] + held.hosts))
        self.assertEqual(held.root_links(), [held.tag + "c"])
        self.assertEqual(len(held.sleepers()), 2)
        for ns in held.hosts:
            qd = subprocess.run(["ip", "netns", "exec", ns, "tc", "qdisc", "show", "dev", "eth0"],
                                capture_output=True, text=True, check=True).stdout
            self.assertRegex(qd, r"tbf .*rate 100Mbit")

    def assert_gone(self, held, pids):
        self.assertEqual(held.namespaces(), [])
        self.assertEqual(held.root_links(), [])
        for pid in pids:
            self.assertFalse(os.path.exists(f"/proc/{pid}"), f"process {pid} of the testbed still runs")

    def stopped_by(self, sig):
        held = Held()
        self.assert_up(held)
        pids = held.sleepers()
        held.proc.send_signal(sig)
        rc = held.proc.wait(timeout=60)
        self.assertNotEqual(rc, 0)
        held.close()
        self.assert_gone(held, pids)

    def test_ctrl_c_removes_everything(self):
        self.stopped_by(signal.SIGINT)

    def test_sigterm_removes_everything(self):
        self.stopped_by(signal.SIGTERM)

    def test_a_failure_inside_removes_everything(self):
        held = Held("--fail-after", "0.5")
        self.assert_up(held)
        pids = held.sleepers()
        rc = held.proc.wait(timeout=60)
        self.assertNotEqual(rc, 0)
        self.assertIn("failing on purpose", held.proc.stderr.read())
        held.close()
        self.assert_gone(held, pids)

    def test_after_sigkill_cleanup_removes_what_was_left(self):
        held = Held()
        self.assert_up(held)
        pids = held.sleepers()
        held.proc.kill()
        held.proc.wait(timeout=60)
        held.close()
        # SIGKILL gives the testbed no chance: everything is still there.
        self.assertEqual(len(held.namespaces()), 3)
        out = subprocess.run([sys.executable, TESTBED, "cleanup"], capture_output=True, text=True, check=True)
        self.assertIn(f"removed {held.tag}", out.stdout)
        wait_for(lambda: all(not os.path.exists(f"/proc/{p}") for p in pids), "the killed testbed's processes")
        self.assert_gone(held, pids)


class Echo:
    """An echo server on loopback that answers end of stream by closing."""

    def __init__(self):
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(8)
        self.port = self.srv.getsockname()[1]
        self.saw_eof = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self.echo, args=(c,), daemon=True).start()

    def echo(self, c):
        with c:
            while True:
                b = c.recv(65536)
                if not b:
                    self.saw_eof.set()
                    return
                c.sendall(b)


class Relay(unittest.TestCase):
    def setUp(self):
        if not RELAY or not os.access(RELAY, os.X_OK):
            self.skipTest("DELAY_RELAY is not set to the delay_relay binary")
        self.echo = Echo()
        self.delay_ms = 50
        self.proc = subprocess.Popen([RELAY, "relay", "--listen", "127.0.0.1:0", "--to",
                                      f"127.0.0.1:{self.echo.port}", "--delay-ms", str(self.delay_ms)],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"delay_relay listen=127\.0\.0\.1:(\d+) to=127\.0\.0\.1:\d+ delay_ms=50\n", line)
        self.assertIsNotNone(m, line)
        self.port = int(m.group(1))

    def tearDown(self):
        self.proc.terminate()
        self.assertEqual(self.proc.wait(timeout=30), 0)  # SIGTERM stops it cleanly
        self.proc.stdout.close()
        self.echo.srv.close()

    def connect(self):
        c = socket.create_connection(("127.0.0.1", self.port))
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return c

    @staticmethod
    def read_exactly(c, n):
        out = bytearray()
        while len(out) < n:
            b = c.recv(n - len(out))
            if not b:
                break
            out += b
        return bytes(out)

    def test_a_round_trip_takes_at_least_twice_the_delay(self):
        with self.connect() as c:
            for _ in range(3):
                t0 = time.monotonic()
                c.sendall(b"ping")
                self.assertEqual(self.read_exactly(c, 4), b"ping")
                self.assertGreaterEqual(time.monotonic() - t0, 2 * self.delay_ms / 1000)

    def test_bytes_cross_intact_and_a_half_close_passes_through(self):
        data = os.urandom(1 << 20)
        with self.connect() as c:
            got = bytearray()

            def reader():
                while True:
                    b = c.recv(65536)
                    if not b:
                        return
                    got.extend(b)

            t = threading.Thread(target=reader)
            t.start()
            c.sendall(data)
            c.shutdown(socket.SHUT_WR)
            # The echo server sees our end of stream, closes, and the relay
            # passes its end of stream back: the reader returns.
            t.join(timeout=30)
            self.assertFalse(t.is_alive(), "the far side's end of stream never arrived")
            self.assertTrue(self.echo.saw_eof.is_set())
            self.assertEqual(bytes(got), data)

    def test_a_far_side_that_is_not_listening_closes_the_connection(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        closed.close()  # nothing listens on `port` now
        self.proc = subprocess.Popen([RELAY, "relay", "--listen", "127.0.0.1:0", "--to", f"127.0.0.1:{port}",
                                      "--delay-ms", "1"], stdout=subprocess.PIPE, text=True)
        self.port = int(re.search(r"listen=127\.0\.0\.1:(\d+)", self.proc.stdout.readline()).group(1))
        with self.connect() as c:
            c.settimeout(30)
            self.assertEqual(c.recv(1), b"")  # closed by the relay, not left hanging


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("wan_testbed: skipped: the testbed needs root (network namespaces, veth, tc)")
        sys.exit(77)
    unittest.main(verbosity=2)
