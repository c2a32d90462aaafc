#!/usr/bin/env python3
"""snapstream over WAN links (run it through bench/wan/run, which builds first).

One provider and one consumer `snapstream node`, each in its own network
namespace of the testbed (testbed.py): every link shaped by tbf to a bandwidth
in each direction and given a round-trip delay (netem where the kernel has
it, else delay_relay in front of the provider's libp2p listener). For each
link profile it measures

  - the link itself: raw TCP throughput provider -> consumer through the same
    path a session takes, and the round trip of a small message;
  - one session per protocol (1.0.0, 1.1.0, 1.2.0, 1.3.0) and chunk size (256 KiB,
    1 MiB, 4 MiB): chunk payload per second and as a share of the link, the
    bytes the provider put on its uplink (tc's counters), the time per chunk,
    the provider's requests per chunk, and how many round trips per chunk the
    time left over after the bytes' own time on the wire amounts to;

plus delay_relay's own cost on loopback. Then the swarm (issue 13's sections
3 and 5): one sync job over four provider nodes, each behind its own
100 Mbit/s + 40 ms link, against one provider alone, and the same job with a
fault each time (a provider's link down, a provider frozen with SIGSTOP, a
provider killed, the consumer killed and restarted), each ending verified
with equal digests. Writes wan.md, wan.json and
wan_throughput_vs_chunk_size.png. Asserts nothing but the digests (a job
that fails or ends with another digest stops the run).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "bench", "harness"))

import testbed  # noqa: E402
from bench import Node, fmt, stats  # noqa: E402

MIB = 1024 * 1024
PROTOCOLS = ["/rpp/snapshots/1.0.0", "/rpp/snapshots/1.1.0", "/rpp/snapshots/1.2.0", "/rpp/snapshots/1.3.0"]
CHUNK_SIZES = [256 * 1024, MIB, 4 * MIB]
LINKS = [{"name": "100 Mbit/s, 40 ms", "mbit": 100, "rtt_ms": 40},
         {"name": "1 Gbit/s, 10 ms", "mbit": 1000, "rtt_ms": 10}]


def log(msg):
    print(msg, flush=True)


def pct(ratio):
    """A share of a link as a percentage with one decimal, or "-"."""
    return "-" if ratio is None else f"{ratio * 100:.1f}%"


# ------------------------------------------------------------ link check
# `wan.py tcp-serve` and `wan.py tcp-fetch` run inside the hosts' namespaces.

def tcp_serve():
    """Listens on 127.0.0.1:0, prints the port; per request (8 bytes, big
    endian N) sends N bytes, or one byte for N = 0."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    print(srv.getsockname()[1], flush=True)
    block = b"x" * MIB
    while True:
        c, _ = srv.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with c:
            while True:
                req = b""
                while len(req) < 8:
                    got = c.recv(8 - len(req))
                    if not got:
                        break
                    req += got
                if len(req) < 8:
                    break
                n = struct.unpack(">Q", req)[0]
                if n == 0:
                    c.sendall(b"!")
                while n > 0:
                    part = min(n, MIB)
                    c.sendall(block[:part])
                    n -= part


def tcp_fetch(host, port, nbytes, pings):
    """Round trips of a 1-byte answer, then one transfer of `nbytes`; prints JSON."""
    c = socket.create_connection((host, int(port)))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rtts = []
    for _ in range(int(pings)):
        t0 = time.monotonic()
        c.sendall(struct.pack(">Q", 0))
        if c.recv(1) != b"!":
            raise RuntimeError("tcp-fetch: bad answer")
        rtts.append((time.monotonic() - t0) * 1000)
    n = int(nbytes)
    t0 = time.monotonic()
    c.sendall(struct.pack(">Q", n))
    got = 0
    while got < n:
        b = c.recv(4 * MIB)
        if not b:
            raise RuntimeError("tcp-fetch: connection closed early")
        got += len(b)
    secs = time.monotonic() - t0
    print(json.dumps({"rtt_ms": statistics.median(rtts), "seconds": secs, "mib_per_s": n / MIB / secs}))


# ------------------------------------------------------------ nodes

class NsNode(Node):
    """A `snapstream node` in a testbed host: libp2p on the namespace's
    loopback (reached only through its relay), HTTP on the host's address."""

    def __init__(self, wan, host, name, data_dir, key, extra=None):
        self.host = host
        cfg = {
            "data_dir": data_dir, "key_file": key,
            "p2p_listen": ["/ip4/127.0.0.1/tcp/0"], "http_listen": f"{host.ip}:0",
            "log_level": os.environ.get("WAN_LOG_LEVEL", "warn"),
            # Every peer arrives through the relay, from 127.0.0.1.
            "host": {"max_connections_per_ip": 4096, "max_connections": 4096},
        }
        cfg.update(extra or {})
        super().__init__(wan, name, cfg)

    def spawn(self, argv, **kw):
        return self.host.spawn(argv, **kw)  # in the host's namespace, stopped with the testbed

    @property
    def p2p_port(self):
        return int(re.search(r"/tcp/(\d+)", self.p2p).group(1))


def start_relay(wan, host, to_port, delay_ms, port=0):
    """delay_relay on the host's address (`port`, 0 = any) in front of
    127.0.0.1:to_port; returns its port."""
    p = host.spawn([wan.relay, "relay", "--listen", f"{host.ip}:{port}", "--to", f"127.0.0.1:{to_port}",
                    "--delay-ms", str(delay_ms)], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.match(r"delay_relay listen=\S+:(\d+) ", line)
    if not m:
        raise RuntimeError(f"delay_relay did not start: {line!r}")
    return int(m.group(1))


def tc_counters(host):
    """What the host's uplink shaper sent and dropped so far (bytes, packets),
    from tc's counters of eth0's qdisc, and the host's TCP retransmissions."""
    out = host.run("tc", "-s", "qdisc", "show", "dev", "eth0")
    m = re.search(r"Sent (\d+) bytes \d+ pkt \(dropped (\d+)", out)
    snmp = host.run("cat", "/proc/net/snmp").splitlines()
    tcp = [l.split() for l in snmp if l.startswith("Tcp:")]
    retrans = int(tcp[1][tcp[0].index("RetransSegs")])
    return int(m.group(1)), int(m.group(2)), retrans


def poll_until_done(fetch, t0, limit, what, on_status=None):
    """Polls `fetch()` (a session's status, or None while its node restarts)
    every 5 ms until the session has ended; `on_status` sees every status,
    the last one included. Returns the last status."""
    while True:
        s = fetch()
        if s is not None:
            if on_status:
                on_status(s)
            if s["state"] in ("verified", "failed", "cancelled"):
                return s
        if time.monotonic() - t0 > limit:
            raise RuntimeError(f"{what} not done after {limit} s: {s}")
        # 5 ms: a session of 3 s is then measured to within 0.2%.
        time.sleep(0.005)


def metric(metrics, name):
    return sum(v for k, v in metrics.items() if k == name or k.startswith(name + "{"))


# ------------------------------------------------------------ the bench

class Wan:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.snapstream = os.path.join(self.build, "app", "snapstream")
        self.relay = os.path.join(self.build, "bench", "wan", "delay_relay")
        self.work = os.path.abspath(args.work)
        self.results = {"links": [], "relay": {}}
        self.states = {}  # MiB -> the state prepared at that size
        self.t0 = time.monotonic()
        self.protocols = [p for p in PROTOCOLS
                          if not args.protocols or p.rsplit("/", 1)[1] in args.protocols.split(",")]
        self.chunk_sizes = [c for c in CHUNK_SIZES
                            if not args.chunk_kib or str(c // 1024) in args.chunk_kib.split(",")]

    def run(self, cmd):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()[-600:]}")
        return r.stdout

    def keygen(self, name):
        path = os.path.join(self.work, "keys", name + ".key")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path, self.run([self.snapstream, "keygen", "--out", path, "--force"]).strip()

    def prepare_state(self, mib):
        """A generated state of `mib` MiB and its snapshot, signed by the
        provider's key (the authority every consumer trusts)."""
        if not hasattr(self, "provider_key"):
            self.provider_key, self.provider_peer = self.keygen("provider")
        self.provider_dir = os.path.join(self.work, f"provider-data-{mib}")
        if mib in self.states:  # two sections of one size share the state (its nodes only read it)
            self.digest = self.states[mib]["digest"]
            return self.states[mib]
        out = self.run([self.snapstream, "state", "generate", "--data-dir", self.provider_dir,
                        "--bytes", f"{mib}MiB", "--seed", "7"])
        snap = self.run([self.snapstream, "snapshot", "create", "--data-dir", self.provider_dir,
                         "--key", self.provider_key])
        self.digest = self.run([self.snapstream, "state", "digest", "--data-dir", self.provider_dir]).strip()
        log(f"state: {out.strip()}; snapshot: {snap.strip()}")
        m = re.search(r"\bbytes=(\d+)", snap)
        self.states[mib] = {"mib": mib, "digest": self.digest, "snapshot": snap.strip(),
                            "bytes": int(m.group(1)) if m else mib * MIB}
        return self.states[mib]

    def relay_cost(self):
        for d in (0, 20):
            r = json.loads(self.run([self.relay, "measure", "--delay-ms", str(d), "--mib", "256", "--runs", "3"]))
            self.results["relay"][str(d)] = r
            log(f"delay_relay on loopback, delay {d} ms: {fmt(r['relay_mib_per_s'])} MiB/s through it "
                f"({fmt(r['direct_mib_per_s'])} direct); round trip {fmt(r['relay_rtt_us'])} us "
                f"({fmt(r['direct_rtt_us'])} direct, overhead {fmt(r['relay_overhead_us'])} us)")

    def link_check(self, tb, provider, consumer, link, delay_ms):
        srv = provider.spawn([sys.executable, os.path.abspath(__file__), "tcp-serve"],
                             stdout=subprocess.PIPE, text=True)
        port = int(srv.stdout.readline())
        rport = start_relay(self, provider, port, delay_ms)
        link_bytes_s = link["mbit"] * 1e6 / 8
        nbytes = int(max(8 * MIB, min(128 * MIB, link_bytes_s * 4)))
        runs = []
        for _ in range(self.args.repeats):
            out = consumer.run(sys.executable, os.path.abspath(__file__), "tcp-fetch", provider.ip, str(rport),
                               str(nbytes), "10")
            runs.append(json.loads(out))
        check = {"bytes": nbytes, "rtt_ms": stats([r["rtt_ms"] for r in runs]),
                 "mib_per_s": stats([r["mib_per_s"] for r in runs])}
        check["ratio_to_link"] = check["mib_per_s"]["median"] * MIB / link_bytes_s
        log(f"  link check: raw TCP provider -> consumer {fmt(check['mib_per_s']['median'])} MiB/s "
            f"= {check['ratio_to_link'] * 100:.0f}% of the link; round trip {fmt(check['rtt_ms']['median'], 2)} ms")
        return check

    def one_session(self, tb, provider_node, provider, consumer_host, relay_port, protocol, chunk_size, n):
        name = f"consumer-{n}"
        shutil.rmtree(os.path.join(self.work, name), ignore_errors=True)
        key, _ = self.keygen(name)
        node = NsNode(self, consumer_host, name, os.path.join(self.work, name, "data"), key, {
            "peers": [f"/ip4/{provider.ip}/tcp/{relay_port}/p2p/{provider_node.peer_id}"],
            "trust": {"threshold": 1, "authorities": [self.provider_peer]},
            "consumer": {"protocols": [protocol], "request_timeout_ms": 300000},
        }).start()
        try:
            pm0 = provider_node.http.metrics()
            cm0 = node.http.metrics()
            sent0, drop0, re0 = tc_counters(provider)
            pcpu0, ccpu0 = provider_node.cpu(), node.cpu()
            t0 = time.monotonic()
            s = node.http.json("POST", "/p2p/snapshots", {"peer": provider_node.peer_id, "chunk_size": chunk_size})
            sid = s["session"]
            first = []  # when the first chunk was seen applied, and the bytes then

            def seen(status):
                if not first and status.get("bytes_received", 0) > 0:
                    first.append((time.monotonic(), status["bytes_received"]))

            s = poll_until_done(lambda: node.http.json("GET", f"/p2p/snapshots/{sid}"), t0, 1800,
                                f"session {protocol} {chunk_size}", seen)
            secs = time.monotonic() - t0
            t_first, bytes_first = first[0] if first else (None, 0)
            if s["state"] != "verified":
                raise RuntimeError(f"session {protocol} {chunk_size}: {s}")
            sent1, drop1, re1 = tc_counters(provider)
            wire, drops, retrans = sent1 - sent0, drop1 - drop0, re1 - re0
            pm1, cm1 = provider_node.http.metrics(), node.http.metrics()
            pcpu, ccpu = provider_node.cpu() - pcpu0, node.cpu() - ccpu0
        finally:
            node.stop()
        digest = self.run([self.snapstream, "state", "digest", "--data-dir", os.path.join(self.work, name, "data")])
        if digest.strip() != self.digest:
            raise RuntimeError(f"consumer digest {digest.strip()} differs from the provider's {self.digest}")
        shutil.rmtree(os.path.join(self.work, name), ignore_errors=True)
        chunks = s["total_chunks"]
        requests = metric(pm1, "snapstream_provider_requests_served_total") - \
            metric(pm0, "snapstream_provider_requests_served_total")
        lat_n = metric(cm1, "snapstream_chunk_request_duration_seconds_count") - \
            metric(cm0, "snapstream_chunk_request_duration_seconds_count")
        lat_s = metric(cm1, "snapstream_chunk_request_duration_seconds_sum") - \
            metric(cm0, "snapstream_chunk_request_duration_seconds_sum")
        return {
            "seconds": secs, "bytes": s["bytes_received"], "chunks": chunks,
            "effective_chunk_size": s["chunk_size"],
            "mib_per_s": s["bytes_received"] / MIB / secs,
            "wire_bytes": wire, "wire_mib_per_s": wire / MIB / secs,
            "wire_per_payload": wire / s["bytes_received"],
            "uplink_drops": drops, "provider_tcp_retransmits": retrans,
            "ms_per_chunk": secs / chunks * 1000,
            # From the poll that first saw a chunk applied to the end: the
            # steady state, without the dial, the plan and the update.
            "first_chunk_seconds": (t_first or t0) - t0,
            "steady_ms_per_chunk": ((time.monotonic() if t_first is None else t0 + secs) - (t_first or t0))
            / max(1, chunks - 1) * 1000,
            # Payload per second over the same span.
            "steady_mib_per_s": (s["bytes_received"] - bytes_first) / MIB / (t0 + secs - t_first)
            if t_first is not None and t0 + secs > t_first and chunks > 1 else None,
            "provider_requests_per_chunk": requests / chunks,
            "consumer_requests": lat_n, "mean_request_ms": (lat_s / lat_n * 1000) if lat_n else None,
            "provider_cpu_s": pcpu, "consumer_cpu_s": ccpu,
        }

    def run_link(self, link):
        rtt = link["rtt_ms"]
        log(f"link {link['name']}")
        out = {"link": link, "sessions": {}}
        with testbed.Testbed() as tb:
            delay = rtt / 2
            provider = tb.add_host("provider", link["mbit"], delay_ms=delay)
            consumer = tb.add_host("consumer", link["mbit"], delay_ms=delay)
            relay_delay = 0 if tb.netem else delay
            out["delay_by"] = "netem" if tb.netem else "delay_relay"
            out["check"] = self.link_check(tb, provider, consumer, link, 0 if tb.netem else rtt / 2)
            pnode = NsNode(self, provider, f"provider-{link['mbit']}", self.provider_dir, self.provider_key,
                           {"provider": {"max_active_sessions": 64}}).start()
            rport = start_relay(self, provider, pnode.p2p_port, relay_delay)
            link_bytes_s = link["mbit"] * 1e6 / 8
            n = 0
            for protocol in self.protocols:
                for cs in self.chunk_sizes:
                    runs = []
                    for _ in range(self.args.repeats):
                        n += 1
                        runs.append(self.one_session(tb, pnode, provider, consumer, rport, protocol, cs, n))
                    agg = {k: stats([r[k] for r in runs]) for k in runs[0] if k != "steady_mib_per_s"}
                    med = agg["mib_per_s"]["median"]
                    agg["ratio_to_link"] = med * MIB / link_bytes_s
                    agg["ratio_to_link_min"] = agg["mib_per_s"]["min"] * MIB / link_bytes_s
                    agg["ratio_to_link_max"] = agg["mib_per_s"]["max"] * MIB / link_bytes_s
                    steady = [r["steady_mib_per_s"] for r in runs if r["steady_mib_per_s"] is not None]
                    agg["steady_mib_per_s"] = stats(steady) if steady else None
                    agg["steady_ratio_to_link"] = (agg["steady_mib_per_s"]["median"] * MIB / link_bytes_s
                                                   if steady else None)
                    # The time per chunk that is not the chunk's bytes on the wire, in round trips.
                    per_chunk_wire_ms = agg["wire_bytes"]["median"] / agg["chunks"]["median"] / link_bytes_s * 1000
                    agg["wire_ms_per_chunk"] = per_chunk_wire_ms
                    agg["round_trips_per_chunk"] = (agg["steady_ms_per_chunk"]["median"] - per_chunk_wire_ms) / rtt
                    out["sessions"][f"{protocol}@{cs}"] = agg
                    log(f"  {protocol.rsplit('/', 1)[1]} chunk {cs // 1024} KiB (effective "
                        f"{int(agg['effective_chunk_size']['median']) // 1024} KiB): {fmt(med)} MiB/s "
                        f"({fmt(agg['mib_per_s']['min'])} - {fmt(agg['mib_per_s']['max'])}) = "
                        f"{pct(agg['ratio_to_link'])} of the link (steady {pct(agg['steady_ratio_to_link'])}); "
                        f"wire {agg['wire_per_payload']['median']:.2f}x "
                        f"the payload; first chunk after {fmt(agg['first_chunk_seconds']['median'], 2)} s, then "
                        f"{fmt(agg['steady_ms_per_chunk']['median'])} ms per chunk, of which "
                        f"{fmt(per_chunk_wire_ms)} ms its bytes on the wire; the rest = "
                        f"{agg['round_trips_per_chunk']:.1f} round trips; "
                        f"{agg['provider_requests_per_chunk']['median']:.2f} requests per chunk; uplink drops "
                        f"{int(agg['uplink_drops']['median'])}, provider TCP retransmits "
                        f"{int(agg['provider_tcp_retransmits']['median'])}")
            pnode.stop()
        return out

    # ---- 3 and 5: one job over many providers, each behind its own link, and faults during it

    def provider_copies(self, n):
        """`n` copies of the provider's data dir, each with a key of its own:
        nodes on them serve the same snapshot, signed by the provider's key."""
        out = []
        for i in range(n):
            name = f"swarm-p{i}"
            data = os.path.join(self.work, name, "data")
            if not os.path.exists(data):
                os.makedirs(os.path.dirname(data), exist_ok=True)
                self.run(["cp", "-a", "--reflink=auto", self.provider_dir, data])
            key, _ = self.keygen(name)
            out.append((name, data, key))
        os.sync()
        return out

    def start_provider(self, tb, slot, rtt):
        slot["node"] = NsNode(self, slot["host"], slot["name"], slot["data"], slot["key"],
                              {"provider": {"max_active_sessions": 64}}).start()
        slot["relay_port"] = start_relay(self, slot["host"], slot["node"].p2p_port, 0 if tb.netem else rtt / 2)
        slot["addr"] = f"/ip4/{slot['host'].ip}/tcp/{slot['relay_port']}/p2p/{slot['node'].peer_id}"

    def job(self, tb, consumer_host, slots, name, fault=None, chunk_size=MIB):
        """One sync job over every provider of `slots` on a fresh consumer node;
        `fault(ctx)` is called on every poll with the status and may act."""
        shutil.rmtree(os.path.join(self.work, name), ignore_errors=True)
        key, _ = self.keygen(name)
        extra = {"peers": [s["addr"] for s in slots],
                 "trust": {"threshold": 1, "authorities": [self.provider_peer]},
                 "consumer": {"request_timeout_ms": 5000,
                              "restart": {"max_retries": 1000, "base_delay_ms": 100, "max_delay_ms": 1000}}}
        data = os.path.join(self.work, name, "data")
        ctx = {"node": NsNode(self, consumer_host, name, data, key, extra).start(), "fault": {}}
        try:
            t0 = time.monotonic()
            s = ctx["node"].http.json("POST", "/p2p/snapshots", {"peers": [x["node"].peer_id for x in slots],
                                                                 "chunk_size": chunk_size})
            ctx["sid"] = s["session"]

            def fetch():
                try:
                    return ctx["node"].http.json("GET", f"/p2p/snapshots/{ctx['sid']}")
                except (OSError, RuntimeError):
                    return None  # the consumer is being restarted

            s = poll_until_done(fetch, t0, 1200, f"job {name}", (lambda st: fault(ctx, st)) if fault else None)
            secs = time.monotonic() - t0
            if s["state"] != "verified":
                raise RuntimeError(f"job {name}: {s}")
        finally:
            ctx["node"].stop()
            for undo in ctx["fault"].get("undo", []):
                undo()
        digest = self.run([self.snapstream, "state", "digest", "--data-dir", data]).strip()
        if digest != self.digest:
            raise RuntimeError(f"job {name}: consumer digest {digest} differs from the provider's {self.digest}")
        shutil.rmtree(os.path.join(self.work, name), ignore_errors=True)
        by_peer = {e["peer"]: e for e in s.get("peers", [])}
        shares = [by_peer.get(x["node"].peer_id, {}).get("chunks", 0) for x in slots]
        return {"seconds": secs, "bytes": s["bytes_received"], "mib_per_s": s["bytes_received"] / MIB / secs,
                "chunks": s["total_chunks"], "chunk_writes": s.get("chunk_writes"), "shares": shares,
                "fault": ctx["fault"].get("log", [])}

    def faults(self, tb, slots, rtt):
        """Each fault as a function of (ctx, status), acting once the job has
        applied a third of its chunks (half for the consumer's kill)."""
        def at(fraction):
            return lambda s: (s["state"] == "syncing" and s.get("total_chunks")
                              and s.get("chunks_applied", 0) >= fraction * s["total_chunks"])

        def link_cut(ctx, s):
            f = ctx["fault"]
            if "t" not in f and at(1 / 3)(s):
                f["t"] = time.monotonic()
                tb.set_link(slots[0]["host"], False)
                f["undo"] = [lambda: tb.set_link(slots[0]["host"], True)]
                f["log"] = [f"link of {slots[0]['name']} down at {s['chunks_applied']}/{s['total_chunks']} chunks"]
            elif "t" in f and "up" not in f and time.monotonic() - f["t"] >= self.args.cut_seconds:
                tb.set_link(slots[0]["host"], True)
                f["up"] = True
                f["log"].append(f"up again after {self.args.cut_seconds} s")

        def freeze(ctx, s):
            f = ctx["fault"]
            pid = slots[1]["node"].proc.pid
            if "t" not in f and at(1 / 3)(s):
                f["t"] = time.monotonic()
                os.kill(pid, signal.SIGSTOP)
                f["undo"] = [lambda: os.kill(pid, signal.SIGCONT)]
                f["log"] = [f"{slots[1]['name']} stopped (SIGSTOP) at {s['chunks_applied']}/{s['total_chunks']}"]
            elif "t" in f and "cont" not in f and time.monotonic() - f["t"] >= self.args.freeze_seconds:
                os.kill(pid, signal.SIGCONT)
                f["cont"] = True
                f["log"].append(f"continued (SIGCONT) after {self.args.freeze_seconds} s")

        def provider_kill(ctx, s):
            f = ctx["fault"]
            if "t" not in f and at(1 / 3)(s):
                f["t"] = time.monotonic()
                slots[2]["node"].proc.kill()
                f["log"] = [f"{slots[2]['name']} killed (SIGKILL) at {s['chunks_applied']}/{s['total_chunks']}"]

        def consumer_kill(ctx, s):
            f = ctx["fault"]
            if "t" not in f and at(1 / 2)(s):
                f["t"] = time.monotonic()
                f["log"] = [f"consumer killed (SIGKILL) at {s['chunks_applied']}/{s['total_chunks']}, restarted"]
                # Same data dir, key and config: it resumes the job by itself.
                ctx["node"].stop(kill=True)
                ctx["node"].start()

        return [("link cut", f"{slots[0]['name']}'s link down for {self.args.cut_seconds} s", link_cut),
                ("provider frozen", f"{slots[1]['name']} SIGSTOPped for {self.args.freeze_seconds} s", freeze),
                ("provider killed", f"{slots[2]['name']} SIGKILLed", provider_kill),
                ("consumer killed", "the consumer SIGKILLed at half and restarted", consumer_kill)]

    def run_swarm(self):
        link = {"mbit": self.args.swarm_mbit, "rtt_ms": self.args.swarm_rtt_ms}
        n = self.args.swarm_providers
        rtt = link["rtt_ms"]
        log(f"swarm: one job over {n} providers, each behind {link['mbit']} Mbit/s + {rtt} ms; "
            f"the consumer on {self.args.swarm_consumer_mbit} Mbit/s; {self.args.swarm_chunk_kib} KiB chunks")
        out = {"link": link, "providers": n, "consumer_mbit": self.args.swarm_consumer_mbit, "faults": []}
        copies = self.provider_copies(n)
        with testbed.Testbed() as tb:
            slots = []
            for i, (name, data, key) in enumerate(copies):
                host = tb.add_host(f"p{i}", link["mbit"], delay_ms=rtt / 2)
                slot = {"name": name, "data": data, "key": key, "host": host}
                self.start_provider(tb, slot, rtt)
                slots.append(slot)
            consumer = tb.add_host("consumer", self.args.swarm_consumer_mbit)
            link_bytes_s = link["mbit"] * 1e6 / 8
            cs = self.args.swarm_chunk_kib * 1024
            out["chunk_size"] = cs
            runs = [self.job(tb, consumer, slots, f"swarm-c{i}", chunk_size=cs) for i in range(self.args.repeats)]
            agg = {k: stats([r[k] for r in runs]) for k in ("seconds", "mib_per_s")}
            agg["ratio_to_links"] = agg["mib_per_s"]["median"] * MIB / (n * link_bytes_s)
            agg["shares"] = runs[0]["shares"]
            out["job"] = agg
            log(f"  job over {n}: {fmt(agg['mib_per_s']['median'])} MiB/s ({fmt(agg['mib_per_s']['min'])} - "
                f"{fmt(agg['mib_per_s']['max'])}) = {agg['ratio_to_links'] * 100:.0f}% of the {n} links; "
                f"chunks per provider {runs[0]['shares']}")
            ones = [self.job(tb, consumer, slots[:1], f"swarm-one{i}", chunk_size=cs) for i in range(self.args.repeats)]
            one = stats([r["mib_per_s"] for r in ones])
            out["one_session"] = {"mib_per_s": one, "ratio_to_link": one["median"] * MIB / link_bytes_s}
            log(f"  one provider: {fmt(one['median'])} MiB/s = {out['one_session']['ratio_to_link'] * 100:.0f}% "
                f"of its link")
            base = agg["seconds"]["median"]
            for title, what, fault in self.faults(tb, slots, rtt):
                r = self.job(tb, consumer, slots, "swarm-fault", fault=fault, chunk_size=cs)
                r.update({"title": title, "what": what, "cost_seconds": r["seconds"] - base})
                out["faults"].append(r)
                log(f"  {title} ({what}): verified in {fmt(r['seconds'], 2)} s, digest equal, cost "
                    f"{r['seconds'] - base:+.2f} s against the fault-free job; chunk writes {r['chunk_writes']} of "
                    f"{r['chunks']}; {'; '.join(r['fault'])}")
                if title == "provider killed":
                    slots[2]["node"].proc.wait()
                    slots[2]["node"].stop()
                    self.start_provider(tb, slots[2], rtt)
            for slot in slots:
                slot["node"].stop()
        for name, _, _ in copies:
            shutil.rmtree(os.path.join(self.work, name), ignore_errors=True)
        return out

    # ---- 4: bootstrapping a network

    def bootstrap(self, mode):
        """One seed (the authority, holding the snapshot) and n-1 empty nodes,
        every uplink capped; all n-1 start a job at once, from the seed alone
        (star) or from every node (swarm). Returns each node's completion time."""
        n, mbit, rtt = self.args.bootstrap_nodes, self.args.bootstrap_mbit, self.args.bootstrap_rtt_ms
        port = 4001  # every host has an address of its own, so each relay can take the same port
        with testbed.Testbed() as tb:
            hosts = [tb.add_host(f"b{i}", mbit, down_mbit=self.args.bootstrap_down_mbit, delay_ms=rtt / 2)
                     for i in range(n)]
            keys = [(self.provider_key, self.provider_peer)] + [self.keygen(f"boot-{mode}-{i}") for i in range(1, n)]
            addrs = [f"/ip4/{h.ip}/tcp/{port}/p2p/{peer}" for h, (_, peer) in zip(hosts, keys)]
            nodes = []
            try:
                for i, (h, (key, peer)) in enumerate(zip(hosts, keys)):
                    name = f"boot-{mode}-{i}"
                    shutil.rmtree(os.path.join(self.work, name), ignore_errors=True)
                    data = self.provider_dir if i == 0 else os.path.join(self.work, name, "data")
                    extra = {"provider": {"max_active_sessions": 64}}
                    if i > 0:
                        extra.update({"peers": [addrs[0]] if mode == "star" else [a for j, a in enumerate(addrs)
                                                                                 if j != i],
                                      "trust": {"threshold": 1, "authorities": [self.provider_peer]},
                                      "consumer": {"request_timeout_ms": 30000,
                                                   "restart": {"max_retries": 1000, "base_delay_ms": 100,
                                                               "max_delay_ms": 1000}}})
                    node = NsNode(self, h, name, data, key, extra).start()
                    start_relay(self, h, node.p2p_port, 0 if tb.netem else rtt / 2, port=port)
                    nodes.append(node)
                t0 = time.monotonic()
                sids = {}
                for i, node in enumerate(nodes[1:], start=1):
                    peers = [keys[0][1]] if mode == "star" else [p for j, (_, p) in enumerate(keys) if j != i]
                    sids[i] = node.http.json("POST", "/p2p/snapshots", {"peers": peers, "chunk_size": MIB})["session"]
                done, shares = {}, {}
                while len(done) < len(sids):
                    for i, sid in sids.items():
                        if i in done:
                            continue
                        s = nodes[i].http.json("GET", f"/p2p/snapshots/{sid}")
                        if s["state"] == "verified":
                            done[i] = time.monotonic() - t0
                            shares[i] = sum(e.get("chunks", 0) for e in s.get("peers", [])
                                            if e.get("peer") != keys[0][1])
                        elif s["state"] in ("failed", "cancelled"):
                            raise RuntimeError(f"bootstrap {mode}: node {i}: {s}")
                    if time.monotonic() - t0 > 3600:
                        raise RuntimeError(f"bootstrap {mode}: not done after an hour ({len(done)} of {len(sids)})")
                    time.sleep(0.1)
                total_chunks = s["total_chunks"]
                # What crossed the uplinks: the seed's sends and everyone's,
                # late copies and chunks fetched twice included.
                served = [metric(node.http.metrics(), "snapstream_snapshot_chunks_served_total") for node in nodes]
            finally:
                for node in nodes:
                    node.stop()
        for i in range(1, n):
            data = os.path.join(self.work, f"boot-{mode}-{i}", "data")
            digest = self.run([self.snapstream, "state", "digest", "--data-dir", data]).strip()
            if digest != self.digest:
                raise RuntimeError(f"bootstrap {mode}: node {i}'s digest {digest} differs from the seed's")
            shutil.rmtree(data, ignore_errors=True)  # the node's logs stay
        times = [done[i] for i in sorted(done)]
        from_others = [shares[i] / total_chunks for i in sorted(shares)]
        log(f"  {mode}: all {n} hold the verified state after {fmt(max(times), 1)} s (first node "
            f"{fmt(min(times), 1)} s, median {fmt(statistics.median(times), 1)} s); chunks not from the seed: "
            f"median {statistics.median(from_others) * 100:.0f}%; digests equal")
        log(f"  {mode}: the seed sent {int(served[0])} chunks, all nodes {int(sum(served))}, for "
            f"{(n - 1) * total_chunks} chunks received")
        return {"completion_seconds": times, "all_done_seconds": max(times), "share_not_from_seed": from_others,
                "chunks": total_chunks, "seed_sent": served[0], "all_sent": sum(served)}

    def run_bootstrap(self):
        a = self.args
        log(f"bootstrap: 1 seed + {a.bootstrap_nodes - 1} nodes, every uplink {a.bootstrap_mbit} Mbit/s "
            f"(downlinks {a.bootstrap_down_mbit}), {a.bootstrap_rtt_ms:g} ms round trips, "
            f"{a.bootstrap_repeats} run(s) of each mode")
        out = {"nodes": a.bootstrap_nodes, "mbit": a.bootstrap_mbit, "down_mbit": a.bootstrap_down_mbit,
               "rtt_ms": a.bootstrap_rtt_ms, "repeats": a.bootstrap_repeats}
        runs = {"star": [], "swarm": []}
        for _ in range(a.bootstrap_repeats):  # alternated, so a drift of the machine touches both modes
            for mode in runs:
                runs[mode].append(self.bootstrap(mode))
        for mode, rs in runs.items():
            by_time = sorted(rs, key=lambda x: x["all_done_seconds"])
            out[mode] = {"all_done_seconds": stats([x["all_done_seconds"] for x in rs]), "runs": rs,
                         # the run whose time is the median (the lower middle one of an even count)
                         "median_run": by_time[(len(by_time) - 1) // 2]}
        # What the uplinks allow at their nominal rate: the star's seed sends
        # the state to every node; in the swarm the seed sends it at least
        # once, and all uplinks together carry it to every node but the seed.
        state_bytes, up = self.states[a.bootstrap_state_mib]["bytes"], a.bootstrap_mbit * 1e6 / 8
        bounds = {"star": (a.bootstrap_nodes - 1) * state_bytes / up,
                  "swarm": max(state_bytes / up, (a.bootstrap_nodes - 1) * state_bytes / (a.bootstrap_nodes * up))}
        for mode, bound in bounds.items():
            out[mode]["bound_seconds"] = bound
            out[mode]["ratio_to_bound"] = bound / out[mode]["all_done_seconds"]["median"]
        star, swarm = out["star"]["all_done_seconds"], out["swarm"]["all_done_seconds"]
        out["speedup"] = star["median"] / swarm["median"]
        out["speedup_min"] = star["min"] / swarm["max"]  # the fastest star against the slowest swarm
        out["speedup_max"] = star["max"] / swarm["min"]
        log(f"  swarm vs star: {out['speedup']:.2f}x faster until all hold the state (medians; "
            f"{out['speedup_min']:.2f}x – {out['speedup_max']:.2f}x)")
        return out

    def main(self):
        for tool in (self.snapstream, self.relay):
            if not os.access(tool, os.X_OK):
                sys.exit(f"wan: {tool} is missing (bench/wan/run builds it)")
        load0 = open("/proc/loadavg").read().split()[:3]
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        self.relay_cost()
        links = [l for l in LINKS if self.args.links is None or str(l["mbit"]) in self.args.links.split(",")]
        if links:
            self.results["state"] = self.prepare_state(self.args.state_mib)
        for link in links:
            self.results["links"].append(self.run_link(link))
        if self.args.swarm_providers > 0:
            self.results["swarm_state"] = self.prepare_state(self.args.swarm_state_mib)
            self.results["swarm"] = self.run_swarm()
        if self.args.bootstrap_nodes > 1:
            self.results["bootstrap_state"] = self.prepare_state(self.args.bootstrap_state_mib)
            self.results["bootstrap"] = self.run_bootstrap()
        self.results["machine"] = self.machine(load0)
        self.results["date"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        self.results["seconds"] = time.monotonic() - self.t0
        self.results["command"] = "bench/wan/run" + (" --quick" if self.args.quick else "")
        self.write()

    def machine(self, load0):
        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
        tc = subprocess.run(["tc", "-V"], capture_output=True, text=True).stdout.strip()
        return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(), "tc": tc,
                "netem": testbed.have_netem(), "load_average_at_start": load0,
                "load_average_at_end": open("/proc/loadavg").read().split()[:3]}

    def write(self):
        out = self.args.out
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "wan.json"), "w") as f:
            json.dump(self.results, f, indent=1, sort_keys=True)
        self.chart(out)
        with open(os.path.join(out, "wan.md"), "w") as f:
            f.write(self.markdown())
        log(f"results: {out}/wan.md, wan.json, wan_throughput_vs_chunk_size.png ({time.monotonic() - self.t0:.0f} s)")

    def chart(self, out):
        b = self.results.get("bootstrap")
        if b and shutil.which("gnuplot"):
            data = os.path.join(self.work, "bootstrap.dat")
            with open(data, "w") as f:
                for mode in ("star", "swarm"):
                    for i, t in enumerate(sorted(b[mode]["median_run"]["completion_seconds"]), start=1):
                        f.write(f"{t} {i}\n")
                    f.write("\n\n")
            script = f"""set terminal pngcairo size 900,520
set output '{os.path.join(out, "wan_bootstrap.png")}'
set title 'Bootstrapping {b["nodes"] - 1} nodes from one seed ({b["mbit"]} Mbit/s uplinks, {b["rtt_ms"]:g} ms; median runs)'
set xlabel 'seconds since every node started its job'
set ylabel 'nodes holding the verified state'
set key bottom right
set grid
plot '{data}' index 0 using 1:2 with steps lw 2 title 'star (seed only)', \\
     '{data}' index 1 using 1:2 with steps lw 2 title 'swarm (every node serves)'
"""
            subprocess.run(["gnuplot"], input=script, text=True, check=False)
        if not self.results["links"]:
            return
        if not shutil.which("gnuplot"):
            log("gnuplot missing: no chart")
            return
        data = os.path.join(self.work, "wan.dat")
        plots = []
        with open(data, "w") as f:
            block = 0
            for l in self.results["links"]:
                for p in self.protocols:
                    for cs in self.chunk_sizes:
                        a = l["sessions"][f"{p}@{cs}"]
                        f.write(f"{cs // 1024} {a['ratio_to_link'] * 100} {a['ratio_to_link_min'] * 100} "
                                f"{a['ratio_to_link_max'] * 100}\n")
                    f.write("\n\n")
                    plots.append(f"'{data}' index {block} using 1:2:3:4 with yerrorlines lw 2 "
                                 f"title '{p.rsplit('/', 1)[1]}, {l['link']['name']}'")
                    block += 1
        script = f"""set terminal pngcairo size 900,520
set output '{os.path.join(out, "wan_throughput_vs_chunk_size.png")}'
set title 'One session over a shaped, delayed link (median, min-max)'
set xlabel 'chunk size (KiB)'
set ylabel 'chunk payload, % of the link'
set logscale x 2
set yrange [0:100]
set key top left
set grid
plot {", ".join(plots)}
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=False)

    def markdown(self):
        r = self.results
        m = r["machine"]
        L = ["# snapstream over WAN links", "",
             f"Command: `{r['command']}` · {r['date']} · {r['seconds']:.0f} s."
             + (f" Sessions' state {r['state']['mib']} MiB (`{r['state']['snapshot']}`)." if "state" in r else "")
             + (f" Swarm's state {r['swarm_state']['mib']} MiB (`{r['swarm_state']['snapshot']}`)."
                if "swarm_state" in r else ""), "",
             f"Machine: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}, {m['tc']}; netem "
             f"{'present' if m['netem'] else 'absent (the round trip comes from delay_relay)'}. Load average "
             f"at start {' '.join(m['load_average_at_start'])}, at end {' '.join(m['load_average_at_end'])}.", "",
             "Every figure is the median of the runs (min – max). The link is tbf-shaped in each direction; its "
             "capacity is its nominal rate (100 Mbit/s = 11.92 MiB/s). Throughput is chunk payload applied per "
             "second of the session (POST to `verified`, 5 ms polls); *steady* is the same after the first chunk "
             "applied (without the dial, the upgrade, the plan, the update, TCP's slow start and the first "
             "chunk); *wire* is what the provider's uplink "
             "shaper sent (tc's counter: TCP/IP headers, Noise, Yamux, the JSON envelope and the byte encoding "
             "included). *Rest in RTTs* is the time per chunk beyond its wire bytes' own time at the link "
             "rate, divided by the round trip, in the steady state: from the first chunk applied (*first chunk after*: "
             "the dial, the libp2p upgrade, the plan, the update and one chunk) to the last. Every session ends "
             "with the consumer's state digest equal to the provider's.", "",
             "## delay_relay's own cost (loopback, in one process)", "",
             "| delay | through the relay MiB/s | direct MiB/s | round trip through it | direct | overhead |",
             "|---|---|---|---|---|---|"]
        for d, x in sorted(r["relay"].items(), key=lambda kv: float(kv[0])):
            L.append(f"| {d} ms | {fmt(x['relay_mib_per_s'])} | {fmt(x['direct_mib_per_s'])} | "
                     f"{fmt(x['relay_rtt_us'])} us | {fmt(x['direct_rtt_us'])} us | {fmt(x['relay_overhead_us'])} us |")
        for l in r["links"]:
            c = l["check"]
            L += ["", f"## {l['link']['name']} (delay by {l['delay_by']})", "",
                  f"Link check, raw TCP provider -> consumer on the sessions' path: "
                  f"{fmt(c['mib_per_s']['median'])} MiB/s ({fmt(c['mib_per_s']['min'])} – "
                  f"{fmt(c['mib_per_s']['max'])}) = {c['ratio_to_link'] * 100:.0f}% of the link; round trip "
                  f"{fmt(c['rtt_ms']['median'], 2)} ms.", "",
                  "| protocol | chunk (effective) | MiB/s | % of link | steady % of link | wire / payload | "
                  "first chunk after | "
                  "ms per chunk after it | "
                  "of which wire | rest in RTTs | requests per chunk | uplink drops | retransmits |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
            for p in self.protocols:
                for cs in self.chunk_sizes:
                    a = l["sessions"][f"{p}@{cs}"]
                    L.append(f"| {p.rsplit('/', 1)[1]} | {cs // 1024} KiB "
                             f"({int(a['effective_chunk_size']['median']) // 1024} KiB) | "
                             f"{fmt(a['mib_per_s']['median'])} ({fmt(a['mib_per_s']['min'])} – "
                             f"{fmt(a['mib_per_s']['max'])}) | {pct(a['ratio_to_link'])} "
                             f"({a['ratio_to_link_min'] * 100:.1f} – {a['ratio_to_link_max'] * 100:.1f}) | "
                             f"{pct(a.get('steady_ratio_to_link'))} | "
                             f"{a['wire_per_payload']['median']:.2f} | "
                             f"{fmt(a['first_chunk_seconds']['median'], 2)} s | "
                             f"{fmt(a['steady_ms_per_chunk']['median'])} | "
                             f"{fmt(a['wire_ms_per_chunk'])} | {a['round_trips_per_chunk']:.1f} | "
                             f"{a['provider_requests_per_chunk']['median']:.2f} | {int(a['uplink_drops']['median'])} | "
                             f"{int(a['provider_tcp_retransmits']['median'])} |")
        if r["links"]:
            L += ["", "![throughput vs chunk size](wan_throughput_vs_chunk_size.png)"]
        w = r.get("swarm")
        if w:
            j, one = w["job"], w["one_session"]
            L += ["", f"## One job over {w['providers']} providers, each behind {w['link']['mbit']} Mbit/s and "
                      f"{w['link']['rtt_ms']:g} ms", "",
                  f"Each provider node runs in its own namespace on its own copy of the provider's data dir (its own "
                  f"key; the snapshot signed by the provider's), behind its own shaped link and relay; the consumer's "
                  f"link is {w['consumer_mbit']} Mbit/s. One sync job (`POST /p2p/snapshots` with every provider's "
                  f"peer id, {w.get('chunk_size', MIB) // 1024} KiB chunks, 1.3.0); MiB/s = chunk payload / time from "
                  f"the POST to `verified`.", "",
                  "| run | MiB/s | share of the links | chunks per provider |", "|---|---|---|---|",
                  f"| job over {w['providers']} | {fmt(j['mib_per_s']['median'])} ({fmt(j['mib_per_s']['min'])} – "
                  f"{fmt(j['mib_per_s']['max'])}) | {j['ratio_to_links'] * 100:.0f}% of {w['providers']} links | "
                  f"{' / '.join(str(x) for x in j['shares'])} |",
                  f"| one provider | {fmt(one['mib_per_s']['median'])} ({fmt(one['mib_per_s']['min'])} – "
                  f"{fmt(one['mib_per_s']['max'])}) | {one['ratio_to_link'] * 100:.0f}% of one link | |", "",
                  "### Faults during the job", "",
                  f"Each fault strikes once the job applied a third of its chunks (the consumer's kill: half). *Cost* "
                  f"is the job's time against the median job without a fault ({fmt(j['seconds']['median'], 2)} s). "
                  f"Every job ended `verified` with the consumer's digest equal to the provider's.", "",
                  "| fault | verified after | cost | chunk writes / chunks | chunks per provider | what happened |",
                  "|---|---|---|---|---|---|"]
            for f in w["faults"]:
                L.append(f"| {f['title']}: {f['what']} | {fmt(f['seconds'], 2)} s | {f['cost_seconds']:+.2f} s | "
                         f"{f['chunk_writes']} / {f['chunks']} | {' / '.join(str(x) for x in f['shares'])} | "
                         f"{'; '.join(f['fault'])} |")
        b = r.get("bootstrap")
        if b:
            L += ["", f"## Bootstrapping a network: 1 seed + {b['nodes'] - 1} nodes", "",
                  f"Every node in its own namespace, its uplink capped at {b['mbit']} Mbit/s (downlink "
                  f"{b['down_mbit']} Mbit/s), {b['rtt_ms']:g} ms round trips to every node (its relay). The seed "
                  f"holds the state and its snapshot; the {b['nodes'] - 1} others start empty and all start a job at "
                  f"once (1 MiB chunks, 1.3.0): from the seed alone (*star*), or from every other node, each of which "
                  f"serves the chunks it has while it syncs (*swarm*). {b['repeats']} run(s) of each mode, "
                  f"alternated; the first column is the median (min – max), the others are from the median run. "
                  f"Every node of every run ends `verified` with the seed's digest.", "",
                  f"*Uplinks' bound* is the least time the uplinks allow at their nominal rate: the star's seed "
                  f"sends the state to each node; in the swarm the seed sends it at least once and all uplinks "
                  f"together carry it to every node but the seed. *Of the bound* is that bound over the median time. "
                  f"The snapshot has {b['star']['median_run']['chunks']} chunks, so the nodes receive "
                  f"{(b['nodes'] - 1) * b['star']['median_run']['chunks']}; *sent* counts what the providers served "
                  f"(`snapstream_snapshot_chunks_served_total`), copies that arrived late included: a seed that "
                  f"sent each chunk once would have sent {b['star']['median_run']['chunks']}.",
                  "",
                  "| mode | all hold the state after | uplinks' bound | of the bound | first node | median node | "
                  "chunks not from the seed (median) | chunks the seed sent | chunks sent in all | every run |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
            for mode in ("star", "swarm"):
                x, t = b[mode]["median_run"], b[mode]["all_done_seconds"]
                L.append(f"| {mode} | {fmt(t['median'], 1)} s ({fmt(t['min'], 1)} – {fmt(t['max'], 1)}) | "
                         f"{fmt(b[mode].get('bound_seconds'), 1)} s | {pct(b[mode].get('ratio_to_bound'))} | "
                         f"{fmt(min(x['completion_seconds']), 1)} s | "
                         f"{fmt(statistics.median(x['completion_seconds']), 1)} s | "
                         f"{statistics.median(x['share_not_from_seed']) * 100:.0f}% | "
                         f"{int(x.get('seed_sent', 0))} | {int(x.get('all_sent', 0))} | "
                         f"{', '.join(fmt(v, 1) for v in t['runs'])} s |")
            L += ["", f"Swarm against star: **{b['speedup']:.2f}x** faster until every node holds the state "
                      f"(ratio of the medians; {b['speedup_min']:.2f}x for the fastest star against the slowest "
                      f"swarm, {b['speedup_max']:.2f}x the other way round).", "",
                  "![completion times](wan_bootstrap.png)"]
        L.append("")
        return "\n".join(L)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "tcp-serve":
        return tcp_serve()
    if len(sys.argv) > 1 and sys.argv[1] == "tcp-fetch":
        return tcp_fetch(*sys.argv[2:6])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, help="build tree with app/snapstream and bench/wan/delay_relay")
    ap.add_argument("--quick", action="store_true", help="16 MiB state, one run per figure")
    ap.add_argument("--work", default=None, help="scratch directory (default BUILD/../wan-work)")
    ap.add_argument("--out", default=None, help="results directory (default bench/results, or "
                                                "BUILD/../wan-results-quick for --quick)")
    ap.add_argument("--state-mib", type=int, default=None, help="generated state (default 32, quick 16)")
    ap.add_argument("--repeats", type=int, default=None, help="runs per figure (default 3, quick 1)")
    ap.add_argument("--links", default=None, help="link profiles by Mbit/s, comma-separated (default 100,1000)")
    ap.add_argument("--protocols", default=None, help="protocol versions, comma-separated (default 1.0.0,1.1.0,1.2.0,1.3.0)")
    ap.add_argument("--chunk-kib", default=None, help="chunk sizes in KiB, comma-separated (default 256,1024,4096)")
    ap.add_argument("--swarm-providers", type=int, default=4, help="providers of the swarm section (0: skip it)")
    ap.add_argument("--swarm-mbit", type=int, default=100, help="each swarm provider's link (Mbit/s)")
    ap.add_argument("--swarm-chunk-kib", type=int, default=4096,
                    help="chunk size of the swarm section's jobs (KiB; default 4096: on a 40 ms link one request "
                         "in flight needs chunks of several times the bandwidth-delay product, section 2)")
    ap.add_argument("--swarm-rtt-ms", type=float, default=40, help="each swarm provider's round trip (ms)")
    ap.add_argument("--swarm-consumer-mbit", type=int, default=1000, help="the swarm consumer's link (Mbit/s)")
    ap.add_argument("--swarm-state-mib", type=int, default=None,
                    help="state of the swarm section (default 512, quick 64; the sessions' state is --state-mib)")
    ap.add_argument("--bootstrap-nodes", type=int, default=16, help="nodes of the bootstrap section, seed included "
                                                                      "(0: skip it)")
    ap.add_argument("--bootstrap-mbit", type=int, default=50, help="every bootstrap node's uplink (Mbit/s)")
    ap.add_argument("--bootstrap-down-mbit", type=int, default=1000, help="every bootstrap node's downlink (Mbit/s)")
    ap.add_argument("--bootstrap-rtt-ms", type=float, default=40, help="round trip to every bootstrap node (ms)")
    ap.add_argument("--bootstrap-repeats", type=int, default=None, help="runs of each bootstrap mode (default: "
                    "--repeats)")
    ap.add_argument("--bootstrap-state-mib", type=int, default=None, help="state of the bootstrap section "
                                                                          "(default 64, quick 32)")
    ap.add_argument("--cut-seconds", type=float, default=5, help="how long the link cut lasts")
    ap.add_argument("--freeze-seconds", type=float, default=30, help="how long the frozen provider stays stopped")
    args = ap.parse_args()
    parent = os.path.dirname(os.path.abspath(args.build))
    args.work = args.work or os.path.join(parent, "wan-work")
    args.out = args.out or (os.path.join(ROOT, "bench", "results") if not args.quick
                            else os.path.join(parent, "wan-results-quick"))
    args.state_mib = args.state_mib or (16 if args.quick else 32)
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.swarm_state_mib = args.swarm_state_mib or (64 if args.quick else 512)
    args.bootstrap_repeats = args.bootstrap_repeats or args.repeats
    args.bootstrap_state_mib = args.bootstrap_state_mib or (32 if args.quick else 64)
    if os.geteuid() != 0:
        sys.exit("wan: the WAN testbed needs root (network namespaces, veth, tc); run it as root")
    try:
        Wan(args).main()
    except testbed.TestbedError as e:
        sys.exit(f"wan: {e}")
    except KeyboardInterrupt:
        sys.exit("wan: interrupted; the testbed was removed")


if __name__ == "__main__":
    main()
