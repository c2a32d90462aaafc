"""The WAN testbed's network: hosts in Linux network namespaces on one bridge,
every host's link capped by the kernel's tbf shaper in each direction, and a
round-trip delay added by netem where the kernel has it, else by delay_relay
in front of each listener (bench/wan/README.md).

Everything lives in namespaces named `<tag>-...` (tag `ssw<pid>`), plus one
veth in the root namespace (`<tag>c`) through which the harness reaches the
hosts' HTTP control planes. `Testbed.close()` removes all of it and every
process started in it; it runs on normal exit, on an exception, and on
SIGINT/SIGTERM (turned into an exception while the testbed is open).
`python3 bench/wan/testbed.py cleanup` removes what a killed run (SIGKILL)
left, by the dead pid in its tag.
"""

import ipaddress
import os
import re
import signal
import subprocess
import sys
import time

PREFIX = "ssw"
NAME_RE = re.compile(r"^" + PREFIX + r"(\d+)(-|c$)")


class TestbedError(RuntimeError):
    pass


def sh(*args, check=True, capture=False):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if check and r.returncode != 0:
        raise TestbedError(f"{' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout if capture else r


def netns_list():
    out = sh("ip", "netns", "list", capture=True)
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def root_links():
    out = sh("ip", "-o", "link", "show", capture=True)
    return [m.group(1) for m in re.finditer(r"^\d+:\s+([^:@\s]+)", out, re.M)]


def have_netem():
    """True when the kernel can add netem (tried on loopback in a scratch namespace)."""
    ns = f"{PREFIX}{os.getpid()}-probe"
    sh("ip", "netns", "add", ns)
    try:
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        r = sh("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms",
               check=False)
        return r.returncode == 0
    finally:
        sh("ip", "netns", "del", ns, check=False)


def kill_namespace_processes(ns):
    """SIGKILL whatever still runs in `ns` (the testbed's own processes are
    stopped politely before this)."""
    r = sh("ip", "netns", "pids", ns, check=False, capture=True)
    for pid in (r or "").split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def remove(tag):
    """Removes every namespace and root link of `tag` (idempotent)."""
    for ns in netns_list():
        if ns.startswith(tag + "-"):
            kill_namespace_processes(ns)
    for ns in netns_list():
        if ns.startswith(tag + "-"):
            sh("ip", "netns", "del", ns, check=False)
    for link in root_links():
        if link == tag + "c":
            sh("ip", "link", "del", link, check=False)


def leftovers(tag):
    """Namespaces and root links of `tag` that still exist."""
    return [ns for ns in netns_list() if ns.startswith(tag + "-")] + [l for l in root_links() if l == tag + "c"]


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def cleanup_stale():
    """Removes what testbeds of processes that no longer exist left behind."""
    tags = set()
    for name in netns_list() + root_links():
        m = NAME_RE.match(name)
        if m and not pid_alive(int(m.group(1))):
            tags.add(PREFIX + m.group(1))
    for tag in sorted(tags):
        remove(tag)
    return sorted(tags)


class Host:
    def __init__(self, testbed, index, name, ns, ip, up_mbit, down_mbit):
        self.testbed, self.index, self.name, self.ns, self.ip = testbed, index, name, ns, ip
        self.up_mbit, self.down_mbit = up_mbit, down_mbit

    def argv(self, argv):
        return ["ip", "netns", "exec", self.ns] + list(argv)

    def run(self, *argv):
        return sh(*self.argv(argv), capture=True)

    def spawn(self, argv, **kw):
        return self.testbed.spawn(self, argv, **kw)


class Testbed:
    """Hosts on one bridge in a hub namespace. Use as a context manager."""

    def __init__(self, tag=None):
        if os.geteuid() != 0:
            raise TestbedError("the WAN testbed needs root (network namespaces, veth, tc); run it as root")
        for tool in ("ip", "tc"):
            if subprocess.run(["which", tool], capture_output=True).returncode != 0:
                raise TestbedError(f"the WAN testbed needs '{tool}' (Debian package iproute2)")
        self.tag = tag or f"{PREFIX}{os.getpid()}"
        self.hub = f"{self.tag}-hub"
        self.hosts = []
        self.procs = []
        self.netem = have_netem()
        self.subnet = self._free_subnet()
        self.ctl_ip = str(self.subnet.network_address + 254)
        self._old_handlers = {}
        self._open = False

    def _free_subnet(self):
        used = sh("ip", "-o", "-4", "addr", "show", capture=True)
        for third in range(os.getpid() % 200, os.getpid() % 200 + 250):
            net = ipaddress.ip_network(f"10.213.{third % 250}.0/24")
            if str(net.network_address)[:-1] not in used:
                return net
        raise TestbedError("no free 10.213.x.0/24 subnet for the testbed")

    # ---- lifetime

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old_handlers[sig] = signal.signal(sig, self._on_signal)
        self._open = True
        try:
            sh("ip", "netns", "add", self.hub)
            self._in(self.hub, "ip", "link", "set", "lo", "up")
            self._in(self.hub, "ip", "link", "add", "br0", "type", "bridge")
            self._in(self.hub, "ip", "link", "set", "br0", "up")
            # The harness's way in: <tag>c in the root namespace, on the bridge.
            ctl, peer = f"{self.tag}c", f"{self.tag}x"
            sh("ip", "link", "add", ctl, "type", "veth", "peer", "name", peer)
            sh("ip", "link", "set", peer, "netns", self.hub)
            self._in(self.hub, "ip", "link", "set", peer, "master", "br0", "up")
            sh("ip", "addr", "add", f"{self.ctl_ip}/24", "dev", ctl)
            sh("ip", "link", "set", ctl, "up")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _on_signal(self, signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    def close(self):
        """Stops every process, then removes every namespace and link."""
        if not self._open:
            return
        # Signals during cleanup would leave half a testbed: hold them off.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        try:
            for p in self.procs:
                if p.poll() is None:
                    p.terminate()
            deadline = time.monotonic() + 10
            for p in self.procs:
                try:
                    p.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            remove(self.tag)
        finally:
            self._open = False
            for sig, h in self._old_handlers.items():
                signal.signal(sig, h)

    # ---- network

    def _in(self, ns, *argv):
        return sh("ip", "netns", "exec", ns, *argv)

    def add_host(self, name, up_mbit, down_mbit=None, delay_ms=0.0):
        """A host with its own namespace on the bridge; its uplink shaped to
        `up_mbit`, its downlink to `down_mbit` (default: the same). With netem
        `delay_ms` is added to the host's egress (use each host's share of a
        path's round trip); without netem it is up to the caller's relays."""
        down_mbit = up_mbit if down_mbit is None else down_mbit
        i = len(self.hosts)
        if i >= 200:
            raise TestbedError("at most 200 hosts")
        ns = f"{self.tag}-{name}"
        ip = str(self.subnet.network_address + 1 + i)
        near, far = f"{self.tag}h{i}", f"{self.tag}n{i}"
        sh("ip", "netns", "add", ns)
        self._in(ns, "ip", "link", "set", "lo", "up")
        sh("ip", "link", "add", near, "type", "veth", "peer", "name", far)
        sh("ip", "link", "set", near, "netns", self.hub)
        sh("ip", "link", "set", far, "netns", ns)
        self._in(self.hub, "ip", "link", "set", near, "master", "br0", "up")
        self._in(ns, "ip", "link", "set", far, "name", "eth0")
        self._in(ns, "ip", "addr", "add", f"{ip}/24", "dev", "eth0")
        self._in(ns, "ip", "link", "set", "eth0", "up")
        self._shape(ns, "eth0", up_mbit, delay_ms if self.netem else 0)
        self._shape(self.hub, near, down_mbit, 0)
        host = Host(self, i, name, ns, ip, up_mbit, down_mbit)
        self.hosts.append(host)
        return host

    def _shape(self, ns, dev, mbit, delay_ms):
        rate_bytes = mbit * 1e6 / 8
        # tbf needs a bucket of at least one timer tick's bytes to reach its
        # rate; 4 ms of the rate, at least 32 KiB. Queue: 50 ms of the rate.
        burst = max(32 * 1024, int(rate_bytes * 0.004))
        limit = max(2 * burst, int(rate_bytes * 0.05))
        if delay_ms > 0:
            self._in(ns, "tc", "qdisc", "add", "dev", dev, "root", "handle", "1:", "netem", "delay",
                     f"{delay_ms}ms", "limit", "100000")
            parent = ["parent", "1:1", "handle", "10:"]
        else:
            parent = ["root"]
        self._in(ns, "tc", "qdisc", "add", "dev", dev, *parent, "tbf", "rate", f"{mbit}mbit", "burst", str(burst),
                 "limit", str(limit))

    def set_link(self, host, up):
        """Takes a host's link down (False) or up again (True)."""
        self._in(host.ns, "ip", "link", "set", "eth0", "up" if up else "down")

    # ---- processes

    def spawn(self, host, argv, **kw):
        p = subprocess.Popen(host.argv(argv), **kw)
        self.procs.append(p)
        return p


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("cleanup", help="remove what testbeds of dead processes left behind")
    hold = sub.add_parser("hold", help="build a small testbed (two hosts, a process in each), print its tag, "
                                       "and hold it until a signal (the cleanup test uses this)")
    hold.add_argument("--fail-after", type=float, default=None,
                      help="raise an error this many seconds after it is up, instead of waiting for a signal")
    args = ap.parse_args()
    if args.cmd == "cleanup":
        if os.geteuid() != 0:
            sys.exit("testbed: cleanup needs root")
        for tag in cleanup_stale():
            print(f"removed {tag}")
        return
    try:
        with Testbed() as tb:
            a = tb.add_host("a", 100)
            b = tb.add_host("b", 100)
            for h in (a, b):
                h.spawn(["sleep", "3600"])
            print(f"testbed tag={tb.tag} hosts={a.ns},{b.ns} netem={'yes' if tb.netem else 'no'}", flush=True)
            if args.fail_after is not None:
                time.sleep(args.fail_after)
                raise TestbedError("failing on purpose (--fail-after)")
            while True:
                time.sleep(3600)
    except TestbedError as e:
        sys.exit(f"testbed: {e}")
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
