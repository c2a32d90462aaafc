#!/usr/bin/env python3
"""snapstream session benchmark (run it through bench/run, which builds first).

Measures, in one run on this machine, each figure as the median of repeated
runs with min and max:

  1. limits: raw TCP loopback, SHA-256, the bare pipeline (bench_limits) with
     synced WriteBatches and, the 1.0x reference, with SST files ingested
  2. transport: one Noise + Yamux stream between two hosts (bench_transport)
  3. one session end to end between two `snapstream node` processes, driven
     over HTTP like `snapstream sync`, per chunk size and protocol version
     (1.3.0, 1.1.0, 1.0.0)
  4. scaling: 1, 4, 16, 64 concurrent sessions against one provider; the
     memory of 1,000 idle sessions (provider and consumer side)
  5. swarm: one sync job (1.3.0) fetching the snapshot from 1, 2, 4 and 8
     provider nodes at once, each on its own copy of the provider's data dir
  6. resume: consumer killed (-9) mid-sync, restarted; time to its next chunk
  7. rsync (daemon on loopback) of the snapshot's checkpoint + sha256sum
  8. CAF mailbox and Asio<->actor bridge message rates (bench_mailbox)

and writes results.md, results.json and three PNG charts. Prints verdict lines
for the targets of issue 7, of the swarm (a job's aggregate against one
session) and of throughput (issue 12: against rsync + sha256sum and the
SST-form pipeline, CPU per GiB, 1.3.0 against 1.0.0); asserts nothing.
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time

MIB = 1024 * 1024
GIB = 1024 * MIB
CLK_TCK = os.sysconf("SC_CLK_TCK")
V13 = "/rpp/snapshots/1.3.0"
V11 = "/rpp/snapshots/1.1.0"
V10 = "/rpp/snapshots/1.0.0"

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def log(msg):
    print(msg, flush=True)


def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def fmt(x, digits=1):
    if x is None:
        return "n/a"
    return f"{x:,.{digits}f}"


# --------------------------------------------------------------- processes


def proc_cpu_seconds(pid, children=False):
    """utime + stime of a live process (and of its waited-for children)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime is field 14, stime 15, cutime 16, cstime 17
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLK_TCK


def proc_status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def reset_peak_rss(pid):
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


class Http:
    """A keep-alive HTTP/1.1 client of one node's control plane."""

    def __init__(self, hostport):
        host, port = hostport.rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.conn = None

    def call(self, method, path, body=None, timeout=30):
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
                data = json.dumps(body).encode() if body is not None else None
                self.conn.request(method, path, body=data)
                r = self.conn.getresponse()
                text = r.read()
                return r.status, text
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                time.sleep(0.05)

    def json(self, method, path, body=None):
        status, text = self.call(method, path, body)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {status}: {text[:300]!r}")
        return json.loads(text) if text else None

    def metrics(self):
        status, text = self.call("GET", "/metrics")
        if status != 200:
            raise RuntimeError(f"GET /metrics: HTTP {status}")
        out = {}
        for line in text.decode().splitlines():
            if not line or line.startswith("#"):
                continue
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
        return out

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Node:
    """One `snapstream node` process with its config file and logs."""

    def __init__(self, bench, name, config):
        self.bench, self.name, self.config = bench, name, config
        self.dir = os.path.join(bench.work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.config_path = os.path.join(self.dir, "node.json")
        with open(self.config_path, "w") as f:
            json.dump(config, f, indent=1)
        self.proc = None

    def start(self, timeout=120):
        self.stderr = open(os.path.join(self.dir, "stderr.log"), "ab")
        self.t_spawn = time.monotonic()
        self.proc = self.spawn([self.bench.snapstream, "node", "--config", self.config_path],
                               stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        line = self.proc.stdout.readline()
        self.t_up = time.monotonic()
        m = re.match(r"node peer_id=(\S+) p2p=(\S+) http=(\S+)", line)
        if not m:
            self.proc.wait(timeout=10)
            raise RuntimeError(f"node {self.name} did not start: {line!r}; see {self.dir}/stderr.log")
        self.peer_id = m.group(1)
        self.p2p = m.group(2).split(",")[0]
        self.http = Http(m.group(3))
        return self

    def spawn(self, argv, **kw):
        """Starts the node's process (bench/wan starts it in a namespace)."""
        return subprocess.Popen(argv, **kw)

    @property
    def pid(self):
        return self.proc.pid

    def cpu(self):
        return proc_cpu_seconds(self.pid)

    def peak_rss_kib(self):
        return proc_status_kib(self.pid, "VmHWM")

    def rss_kib(self):
        return proc_status_kib(self.pid, "VmRSS")

    def stop(self, kill=False):
        if self.proc is None:
            return
        self.http.close()
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.stderr.close()
        self.proc = None


# --------------------------------------------------------------- the bench


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.snapstream = os.path.join(self.build, "app", "snapstream")
        self.tool = lambda name, sub: os.path.join(self.build, "bench", sub, name)
        self.work = os.path.abspath(args.work)
        self.quick = args.quick
        self.results = {"figures": {}, "verdicts": []}
        self.t0 = time.monotonic()
        self.key_count = 0

    # ---- helpers

    def run(self, cmd, **kw):
        r = subprocess.run(cmd, capture_output=True, text=True, **kw)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()[-600:]}")
        return r.stdout

    def keygen(self, name):
        path = os.path.join(self.work, "keys", name + ".key")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        peer = self.run([self.snapstream, "keygen", "--out", path, "--force"]).strip()
        return path, peer

    def node_config(self, data_dir, key, extra=None):
        cfg = {
            "data_dir": data_dir,
            "key_file": key,
            "p2p_listen": ["/ip4/127.0.0.1/tcp/0"],
            "http_listen": "127.0.0.1:0",
            "log_level": "warn",
            "host": {"max_connections": 4096, "max_streams_per_connection": 4096},
            "http": {"max_connections": 1024},
        }
        for k, v in (extra or {}).items():
            if isinstance(v, dict) and isinstance(cfg.get(k), dict):
                cfg[k].update(v)
            else:
                cfg[k] = v
        return cfg

    def provider_node(self):
        # One consumer node stands for many peers here (64 concurrent and
        # 1,000 idle sessions): the per-peer caps that keep one peer from
        # taking every place are lifted for it.
        cfg = self.node_config(self.provider_dir, self.provider_key,
                               {"provider": {"max_active_sessions": 4096, "storage_workers": 2,
                                             "max_active_sessions_per_peer": 4096,
                                             "max_session_records_per_peer": 100000}})
        return Node(self, "provider", cfg).start()

    def consumer_node(self, name, protocols=None, key=None, peers=None, extra=None):
        data_dir = os.path.join(self.work, name, "data")
        if key is None:
            shutil.rmtree(os.path.join(self.work, name), ignore_errors=True)
            key, _ = self.keygen(name)
        consumer = {"request_timeout_ms": 120000}
        if protocols:
            consumer["protocols"] = protocols
        cfg = {"peers": peers or [self.provider.p2p],
               "trust": {"threshold": 1, "authorities": [self.provider_peer]},
               "consumer": consumer}
        cfg.update(extra or {})
        node = Node(self, name, self.node_config(data_dir, key, cfg))
        node.key = key
        return node.start()

    def put(self, key, value):
        self.results["figures"][key] = value

    def elapsed(self):
        return time.monotonic() - self.t0

    # ---- setup

    def prepare_state(self):
        self.provider_dir = os.path.join(self.work, "provider-data")
        self.provider_key, self.provider_peer = None, None
        state_bytes = self.args.state_mib * MIB
        marker = os.path.join(self.work, f"state-{self.args.state_mib}MiB.done")
        key_path = os.path.join(self.work, "keys", "provider.key")
        if os.path.exists(marker) and os.path.exists(key_path):
            self.provider_key = key_path
            self.provider_peer = open(marker).read().strip()
            log(f"state: reusing {self.args.state_mib} MiB state in {self.provider_dir}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)
            os.makedirs(self.work)
            self.provider_key, self.provider_peer = self.keygen("provider")
            t = time.monotonic()
            out = self.run([self.snapstream, "state", "generate", "--data-dir", self.provider_dir,
                            "--bytes", str(state_bytes), "--seed", "7"])
            log(f"state: {out.strip()}")
            out = self.run([self.snapstream, "snapshot", "create", "--data-dir", self.provider_dir,
                            "--key", self.provider_key])
            log(f"snapshot: {out.strip()} ({time.monotonic() - t:.1f} s)")
            with open(marker, "w") as f:
                f.write(self.provider_peer)
        info = self.run([self.snapstream, "state", "digest", "--data-dir", self.provider_dir])
        self.state_digest = info.strip()
        m = re.search(r"records=(\d+)", info)
        self.results["state"] = {"requested_bytes": state_bytes, "digest": self.state_digest,
                                 "records": int(m.group(1)) if m else None, "page_size": 65536}

    # ---- 1. limits

    def limits(self):
        runs = str(self.args.repeats)
        tcp = json.loads(self.run([self.tool("bench_limits", "limits"), "tcp", "--mib",
                                   str(1024 if not self.quick else 256), "--runs", runs]))
        self.put("raw_tcp", tcp)
        log(f"limits: raw TCP loopback {fmt(tcp['median'])} MiB/s (min {fmt(tcp['min'])}, max {fmt(tcp['max'])})")
        sha = json.loads(self.run([self.tool("bench_limits", "limits"), "sha256", "--mib",
                                   str(1024 if not self.quick else 256), "--runs", runs]))
        self.put("sha256", sha)
        log(f"limits: SHA-256 (64 KiB pages) {fmt(sha['median'])} MiB/s")
        sizes = ",".join(str(c) for c in self.chunk_sizes)
        out = self.run([self.tool("bench_limits", "limits"), "pipeline", "--data-dir", self.provider_dir,
                        "--work", os.path.join(self.work, "pipeline"), "--chunk-sizes", sizes, "--runs", runs])
        # Two forms: a synced WriteBatch per chunk, and an SST file ingested
        # per chunk (what a node does for chunks of 256 KiB and more).
        self.pipeline_forms = {"batch": {}, "sst": {}}
        for line in out.splitlines():
            p = json.loads(line)
            self.pipeline_forms[p.get("form", "batch")][p["chunk_size"]] = p
            log(f"limits: bare pipeline ({p.get('form', 'batch')}) at {p['chunk_size'] // 1024} KiB chunks "
                f"{fmt(p['median'])} MiB/s (min {fmt(p['min'])}, max {fmt(p['max'])}), "
                f"{fmt(p['cpu_s_per_gib'], 2)} CPU s/GiB")
        self.pipeline = self.pipeline_forms["sst"]
        self.put("bare_pipeline", {str(k): v for k, v in self.pipeline_forms["batch"].items()})
        self.put("bare_pipeline_sst", {str(k): v for k, v in self.pipeline.items()})
        self.reference = self.pipeline[MIB]["median"]
        log(f"reference (1.0x): bare pipeline, SST form, at 1 MiB chunks = {fmt(self.reference)} MiB/s")

    # ---- 2. transport

    def transport(self):
        out = self.run([self.tool("bench_transport", "transport"), "--mib", str(256 if not self.quick else 64),
                        "--runs", str(self.args.repeats), "--requests", "500"])
        figures = {}
        for line in out.splitlines():
            m = re.match(r"\s*(.+?)\s{2,}median\s+([\d.]+)\s+min\s+([\d.]+)\s+max\s+([\d.]+)\s+(.*)$", line)
            if m:
                figures[m.group(1).strip()] = {"median": float(m.group(2)), "min": float(m.group(3)),
                                               "max": float(m.group(4)), "unit": m.group(5).strip()}
        self.put("transport", {"raw_output": out, "figures": figures})
        for name, f in figures.items():
            log(f"transport: {name} {fmt(f['median'])} {f['unit']} (min {fmt(f['min'])}, max {fmt(f['max'])})")

    # ---- 3. one session

    def wait_session(self, node, sid, timeout, poll=0.02, stop_at=None):
        deadline = time.monotonic() + timeout
        while True:
            s = node.http.json("GET", f"/p2p/snapshots/{sid}")
            if s["state"] in ("verified", "failed", "cancelled"):
                return s, time.monotonic()
            if stop_at is not None and stop_at(s):
                return s, time.monotonic()
            if time.monotonic() > deadline:
                raise RuntimeError(f"session {sid} not done after {timeout} s: {s}")
            time.sleep(poll)

    def one_session(self, protocol, chunk_size):
        consumer = self.consumer_node("consumer", protocols=[protocol])
        try:
            reset_peak_rss(self.provider.pid)
            p_cpu0, c_cpu0 = self.provider.cpu(), consumer.cpu()
            t0 = time.monotonic()
            s = consumer.http.json("POST", "/p2p/snapshots", {"peer": self.provider_peer, "chunk_size": chunk_size})
            s, t1 = self.wait_session(consumer, s["session"], timeout=900)
            if s["state"] != "verified":
                raise RuntimeError(f"session failed: {s}")
            secs = t1 - t0
            gib = s["bytes_received"] / GIB
            fig = {
                "seconds": secs,
                "bytes": s["bytes_received"],
                "mib_per_s": s["bytes_received"] / MIB / secs,
                "chunks_per_s": s["total_chunks"] / secs,
                "effective_chunk_size": s["chunk_size"],
                "chunks": s["total_chunks"],
                "provider_cpu_s_per_gib": (self.provider.cpu() - p_cpu0) / gib,
                "consumer_cpu_s_per_gib": (consumer.cpu() - c_cpu0) / gib,
                "provider_peak_rss_mib": self.provider.peak_rss_kib() / 1024,
                "consumer_peak_rss_mib": consumer.peak_rss_kib() / 1024,
            }
        finally:
            consumer.stop()
        return fig

    def sessions(self):
        self.session_results = {}
        for protocol in (V13, V11, V10):
            for cs in self.chunk_sizes:
                reps = self.args.repeats if (cs == MIB or not self.quick) else 1
                if protocol == V10 and cs != MIB:
                    reps = max(1, reps - 1) if not self.quick else 1
                runs = [self.one_session(protocol, cs) for _ in range(reps)]
                agg = {k: stats([r[k] for r in runs]) for k in runs[0]}
                agg["ratio_to_bare_pipeline"] = agg["mib_per_s"]["median"] / self.reference
                agg["ratio_to_bare_pipeline_same_chunk"] = agg["mib_per_s"]["median"] / self.pipeline[cs]["median"]
                self.session_results[(protocol, cs)] = agg
                log(f"session {protocol.rsplit('/', 1)[1]} chunk {cs // 1024} KiB (effective "
                    f"{int(agg['effective_chunk_size']['median']) // 1024} KiB): {fmt(agg['mib_per_s']['median'])} MiB/s "
                    f"(min {fmt(agg['mib_per_s']['min'])}, max {fmt(agg['mib_per_s']['max'])}, {reps} runs), "
                    f"{fmt(agg['chunks_per_s']['median'])} chunks/s, {agg['ratio_to_bare_pipeline']:.2f}x bare; "
                    f"CPU s/GiB provider {fmt(agg['provider_cpu_s_per_gib']['median'], 2)} consumer "
                    f"{fmt(agg['consumer_cpu_s_per_gib']['median'], 2)}; peak RSS provider "
                    f"{fmt(agg['provider_peak_rss_mib']['median'])} MiB consumer "
                    f"{fmt(agg['consumer_peak_rss_mib']['median'])} MiB")
        self.put("sessions", {f"{p}@{cs}": v for (p, cs), v in self.session_results.items()})

    # ---- 4. scaling

    @staticmethod
    def histogram(metrics):
        name = "snapstream_chunk_request_duration_seconds_bucket"
        out = []
        for k, v in metrics.items():
            if k.startswith(name):
                le = re.search(r'le="([^"]+)"', k).group(1)
                out.append((float("inf") if le == "+Inf" else float(le), v))
        return sorted(out)

    @staticmethod
    def quantile(h0, h1, q):
        """q-quantile (seconds) of the observations between two cumulative
        histogram snapshots, interpolated linearly inside its bucket."""
        buckets = [(le, c1 - c0) for (le, c0), (_, c1) in zip(h0, h1)]
        total = buckets[-1][1]
        if total <= 0:
            return None
        target = q * total
        prev_le, prev_c = 0.0, 0.0
        for le, c in buckets:
            if c >= target:
                if le == float("inf"):
                    return prev_le
                span = c - prev_c
                return prev_le + (le - prev_le) * ((target - prev_c) / span if span > 0 else 1.0)
            prev_le, prev_c = le, c
        return prev_le

    def scaling_run(self, consumer, n):
        cs = MIB
        ids = []
        for _ in range(n):
            s = consumer.http.json("POST", "/p2p/snapshots", {"peer": self.provider_peer, "chunk_size": cs})
            ids.append(s["session"])
        # Ramp-up: every session has applied a chunk.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            st = consumer.http.json("GET", "/p2p/snapshots")
            mine = [s for s in st if s["session"] in ids]
            if any(s["state"] == "failed" for s in mine):
                raise RuntimeError(f"a session failed: {[s for s in mine if s['state'] == 'failed'][0]}")
            if all(s.get("last_chunk_index") is not None for s in mine):
                break
            time.sleep(0.05)
        samples = []  # (time, bytes, chunks, histogram, provider cpu, consumer cpu)
        window = self.args.scaling_window
        end = time.monotonic() + window
        while True:
            m = consumer.http.metrics()
            samples.append((time.monotonic(), m["snapstream_snapshot_bytes_received_total"],
                            m["snapstream_snapshot_chunks_received_total"], self.histogram(m),
                            self.provider.cpu(), consumer.cpu()))
            st = consumer.http.json("GET", "/p2p/snapshots")
            finished = any(s["state"] != "syncing" for s in st if s["session"] in ids)
            if time.monotonic() >= end or finished:
                break
            time.sleep(0.25)
        for sid in ids:
            consumer.http.call("DELETE", f"/p2p/snapshots/{sid}")
        if len(samples) < 4:
            raise RuntimeError(f"scaling {n}: the window was too short ({len(samples)} samples)")
        # Three equal sub-windows of the measured span.
        k = (len(samples) - 1) // 3
        rates = []
        for i in range(3):
            a, b = samples[i * k], samples[(i + 1) * k if i < 2 else len(samples) - 1]
            rates.append((b[1] - a[1]) / MIB / (b[0] - a[0]))
        a, b = samples[0], samples[-1]
        secs = b[0] - a[0]
        gib = (b[1] - a[1]) / GIB
        return {
            "sessions": n,
            "aggregate_mib_per_s": stats(rates),
            "chunks_per_s": (b[2] - a[2]) / secs,
            "window_seconds": secs,
            "p50_request_latency_ms": (self.quantile(a[3], b[3], 0.5) or 0) * 1000,
            "p99_request_latency_ms": (self.quantile(a[3], b[3], 0.99) or 0) * 1000,
            "provider_cpu_s_per_gib": (b[4] - a[4]) / gib if gib > 0 else None,
            "consumer_cpu_s_per_gib": (b[5] - a[5]) / gib if gib > 0 else None,
        }

    def scaling(self):
        self.scaling_results = {}
        for n in (1, 4, 16, 64):
            consumer = self.consumer_node("scaling", protocols=[V11, V10])
            try:
                reset_peak_rss(self.provider.pid)
                r = self.scaling_run(consumer, n)
                r["provider_peak_rss_mib"] = self.provider.peak_rss_kib() / 1024
                r["consumer_peak_rss_mib"] = consumer.peak_rss_kib() / 1024
            finally:
                consumer.stop()
            r["ratio_to_bare_pipeline"] = r["aggregate_mib_per_s"]["median"] / self.reference
            self.scaling_results[n] = r
            log(f"scaling {n:2d} sessions: {fmt(r['aggregate_mib_per_s']['median'])} MiB/s aggregate "
                f"(min {fmt(r['aggregate_mib_per_s']['min'])}, max {fmt(r['aggregate_mib_per_s']['max'])}), "
                f"p50 {fmt(r['p50_request_latency_ms'], 2)} ms, p99 {fmt(r['p99_request_latency_ms'], 2)} ms, "
                f"peak RSS provider {fmt(r['provider_peak_rss_mib'])} MiB consumer {fmt(r['consumer_peak_rss_mib'])} MiB")
        self.put("scaling", {str(k): v for k, v in self.scaling_results.items()})

    # ---- 4b. idle sessions

    def settle_rss(self, node):
        time.sleep(0.5)
        return node.rss_kib()

    def idle_memory(self):
        n = self.args.idle_sessions
        warm = 20
        out = {}
        # Provider: N planned, idle inbound sessions, on a fresh provider
        # process: one that has served sessions has freed heap it would reuse,
        # which would hide what the idle sessions cost.
        self.provider.stop()
        self.provider = self.provider_node()
        provider = self.provider
        flood = self.tool("bench_idle", "idle")
        self.run([flood, "plan", "--peer", provider.p2p, "--sessions", str(warm), "--first-id", "5000000"])
        before = self.settle_rss(provider)
        r = json.loads(self.run([flood, "plan", "--peer", provider.p2p, "--sessions", str(n),
                                 "--first-id", "6000000"]))
        after = self.settle_rss(provider)
        out["provider"] = {"sessions": r["planned"], "rss_before_kib": before, "rss_after_kib": after,
                           "kib_per_session": (after - before) / max(1, r["planned"]),
                           "definition": "provider RSS delta after N plan requests from one peer, "
                                         "each opening a session that then stays idle"}
        log(f"idle: provider holds {r['planned']} planned idle sessions: RSS {before} -> {after} KiB, "
            f"{fmt(out['provider']['kib_per_session'])} KiB per session")
        # Consumer: N session actors waiting for a plan from a peer that never answers.
        hole = subprocess.Popen([flood, "hole", "--listen", "/ip4/127.0.0.1/tcp/0"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        try:
            hole_addr = hole.stdout.readline().strip()
            hole_peer = hole_addr.rsplit("/p2p/", 1)[1]
            consumer = self.consumer_node("idle-consumer", peers=[hole_addr],
                                          extra={"consumer": {"request_timeout_ms": 600000}})
            try:
                def start(count):
                    for _ in range(count):
                        consumer.http.json("POST", "/p2p/snapshots", {"peer": hole_peer, "chunk_size": MIB})

                start(warm)
                before = self.settle_rss(consumer)
                start(n)
                time.sleep(1.0)
                st = consumer.http.json("GET", "/p2p/snapshots")
                waiting = sum(1 for s in st if s["state"] == "planning")
                after = self.settle_rss(consumer)
            finally:
                consumer.stop()
        finally:
            hole.terminate()
            hole.wait()
        out["consumer"] = {"sessions": n, "waiting": waiting, "rss_before_kib": before, "rss_after_kib": after,
                           "kib_per_session": (after - before) / n,
                           "definition": "consumer RSS delta after starting N sessions against a peer that "
                                         "never answers: each an idle session actor with its plan request "
                                         "(one Yamux stream) in flight"}
        log(f"idle: consumer holds {n} idle sessions ({waiting} waiting for their plan): RSS {before} -> "
            f"{after} KiB, {fmt(out['consumer']['kib_per_session'])} KiB per session")
        self.put("idle_sessions", out)
        self.idle = out

    # ---- 5. swarm

    def swarm_copies(self, count):
        """`count` copies of the provider's data dir (made while no node has
        it open), each with its own key: nodes started on them serve the same
        snapshot (same plan, the chain signed by the original provider)."""
        seen, size = set(), 0
        for dp, _, fs in os.walk(self.provider_dir):
            for f in fs:
                st = os.stat(os.path.join(dp, f))
                if (st.st_dev, st.st_ino) not in seen:
                    seen.add((st.st_dev, st.st_ino))
                    size += st.st_size
        t = time.monotonic()
        copies = []
        for i in range(count):
            name = f"swarm-provider-{i + 1}"
            shutil.rmtree(os.path.join(self.work, name), ignore_errors=True)
            data_dir = os.path.join(self.work, name, "data")
            os.makedirs(os.path.dirname(data_dir))
            # -a keeps the hard links between the live state and its checkpoint.
            self.run(["cp", "-a", "--reflink=auto", self.provider_dir, data_dir])
            key, _ = self.keygen(name)
            copies.append((name, data_dir, key))
        # Write the copies back now, not while a sync makes its chunks durable.
        os.sync()
        log(f"swarm: {count} copies of the provider data dir ({size / MIB:.0f} MiB each) made and synced "
            f"in {time.monotonic() - t:.1f} s")
        return copies, size

    def swarm_run(self, providers):
        """One job over every node of `providers`, on a fresh consumer node."""
        consumer = self.consumer_node("swarm-consumer", peers=[p.p2p for p in providers])
        try:
            for p in providers:
                reset_peak_rss(p.pid)
            p_cpu0 = [p.cpu() for p in providers]
            served0 = [p.http.metrics()["snapstream_snapshot_chunks_served_total"] for p in providers]
            h0 = self.histogram(consumer.http.metrics())
            c_cpu0 = consumer.cpu()
            t0 = time.monotonic()
            s = consumer.http.json("POST", "/p2p/snapshots", {"peers": [p.peer_id for p in providers],
                                                              "chunk_size": MIB})
            s, t1 = self.wait_session(consumer, s["session"], timeout=900)
            c_cpu1 = consumer.cpu()
            p_cpu1 = [p.cpu() for p in providers]
            if s["state"] != "verified":
                raise RuntimeError(f"swarm job over {len(providers)} providers failed: {s}")
            h1 = self.histogram(consumer.http.metrics())
            served = [p.http.metrics()["snapstream_snapshot_chunks_served_total"] - s0
                      for p, s0 in zip(providers, served0)]
            secs = t1 - t0
            gib = s["bytes_received"] / GIB
            by_peer = {e["peer"]: e for e in s.get("peers", [])}
            shares = []
            for p, n in zip(providers, served):
                e = by_peer.get(p.peer_id, {})
                shares.append({"provider": p.name, "peer": p.peer_id, "state": e.get("state"),
                               "chunks": e.get("chunks", 0), "bytes": e.get("bytes", 0),
                               "chunks_served": int(n), "failures": e.get("failures", 0),
                               "backpressure": e.get("backpressure", 0), "rtt_ms": e.get("rtt_ms"),
                               "rate_mib_per_s": e.get("rate", 0) / MIB})
            chunks = s["total_chunks"]
            applied = s.get("chunks_applied", chunks)
            fig = {
                "seconds": secs,
                "bytes": s["bytes_received"],
                "mib_per_s": s["bytes_received"] / MIB / secs,
                "chunks_per_s": chunks / secs,
                "effective_chunk_size": s["chunk_size"],
                "chunks": chunks,
                "consumer_cpu_s_per_gib": (c_cpu1 - c_cpu0) / gib,
                "providers_cpu_s_per_gib": sum(b - a for a, b in zip(p_cpu0, p_cpu1)) / gib,
                "consumer_peak_rss_mib": consumer.peak_rss_kib() / 1024,
                "provider_peak_rss_mib": max(p.peak_rss_kib() for p in providers) / 1024,
                "p50_request_latency_ms": (self.quantile(h0, h1, 0.5) or 0) * 1000,
                "p99_request_latency_ms": (self.quantile(h0, h1, 0.99) or 0) * 1000,
                "providers_delivering": sum(1 for x in shares if x["chunks"] > 0),
                "smallest_share": min(x["chunks"] for x in shares) / chunks,
                "largest_share": max(x["chunks"] for x in shares) / chunks,
                "chunks_served_beyond_applied": sum(served) - applied,
                "chunk_writes_beyond_applied": s.get("chunk_writes", applied) - applied,
                "failures": sum(x["failures"] for x in shares),
                "backpressure": sum(x["backpressure"] for x in shares),
            }
        finally:
            consumer.stop()
        return fig, shares

    def swarm(self):
        self.swarm_results = {}
        counts = self.args.swarm_providers
        copies, size = self.swarm_copies(max(counts))
        one = self.session_results[(V11, MIB)]["mib_per_s"]["median"]
        providers = []
        try:
            # Every provider node runs through the whole section (the first P
            # serve a job over P), like section 3's provider, and serves an
            # unmeasured job over all of them first: a fresh node serves its
            # first session more slowly.
            for name, data_dir, key in copies:
                cfg = self.node_config(data_dir, key, {"provider": {"max_active_sessions": 4096,
                                                                    "storage_workers": 2}})
                providers.append(Node(self, name, cfg).start())
            warm, _ = self.swarm_run(providers)
            log(f"swarm: warm-up job over {len(providers)} providers {fmt(warm['mib_per_s'])} MiB/s (not counted)")
            for n in counts:
                runs = [self.swarm_run(providers[:n]) for _ in range(self.args.repeats)]
                figs = [f for f, _ in runs]
                agg = {k: stats([f[k] for f in figs]) for k in figs[0]}
                agg["providers"] = n
                agg["ratio_to_bare_pipeline"] = agg["mib_per_s"]["median"] / self.reference
                agg["ratio_to_one_session"] = agg["mib_per_s"]["median"] / one
                # Who fetched what, per run (the run nearest the median first).
                order = sorted(range(len(runs)), key=lambda i: abs(figs[i]["mib_per_s"] - agg["mib_per_s"]["median"]))
                agg["shares"] = [runs[i][1] for i in order]
                self.swarm_results[n] = agg
                per = " / ".join(str(x["chunks"]) for x in sorted(agg["shares"][0], key=lambda x: -x["chunks"]))
                log(f"swarm {n} provider{'s' if n > 1 else ' '}: {fmt(agg['mib_per_s']['median'])} MiB/s "
                    f"(min {fmt(agg['mib_per_s']['min'])}, max {fmt(agg['mib_per_s']['max'])}, "
                    f"{self.args.repeats} runs), {agg['ratio_to_bare_pipeline']:.2f}x bare, "
                    f"{agg['ratio_to_one_session']:.2f}x one session; CPU s/GiB consumer "
                    f"{fmt(agg['consumer_cpu_s_per_gib']['median'], 2)} providers "
                    f"{fmt(agg['providers_cpu_s_per_gib']['median'], 2)}; peak RSS consumer "
                    f"{fmt(agg['consumer_peak_rss_mib']['median'])} MiB; chunks per provider {per}; "
                    f"served beyond applied {int(agg['chunks_served_beyond_applied']['median'])}, "
                    f"failures {int(agg['failures']['median'])}")
        finally:
            for p in providers:
                p.stop()
            for name, _, _ in copies:
                shutil.rmtree(os.path.join(self.work, name), ignore_errors=True)
        self.put("swarm", {
            "providers": {str(k): v for k, v in self.swarm_results.items()},
            "one_session_mib_per_s": one,
            "copy_bytes": size,
            "definition": "one consumer node runs one sync job (POST /p2p/snapshots with every provider's "
                          "peer id in 'peers', chunk_size 1 MiB, protocol 1.3.0) against P provider nodes, each "
                          "on its own copy of the provider data dir with its own key and ports; MiB/s = chunk "
                          "payload applied / time from the POST to the poll (20 ms) that sees 'verified'; the "
                          "provider nodes run through the whole section (a job over P uses the first P; the "
                          "others stay up, idle) after one unmeasured job over all of them; "
                          "provider CPU is summed over the P processes; shares from the job's final 'peers' "
                          "status; 'served beyond applied' = chunks the providers served (their "
                          "snapstream_snapshot_chunks_served_total) minus chunks the job applied",
        })

    # ---- 6. resume

    def resume(self):
        consumer = self.consumer_node("resume", protocols=[V11, V10])
        key = consumer.key
        marks = [0.4, 0.5, 0.6] if self.args.repeats >= 3 else [0.5]
        runs = []
        try:
            s = consumer.http.json("POST", "/p2p/snapshots", {"peer": self.provider_peer, "chunk_size": MIB})
            sid = s["session"]
            for mark in marks:
                s, _ = self.wait_session(consumer, sid, timeout=600, poll=0.005,
                                         stop_at=lambda s: s.get("total_chunks") and
                                         s.get("last_chunk_index", -1) + 1 >= mark * s["total_chunks"])
                if s["state"] != "syncing":
                    raise RuntimeError(f"resume: session ended before {mark:.0%}: {s}")
                consumer.stop(kill=True)
                t_restart = time.monotonic()
                consumer = self.consumer_node("resume", protocols=[V11, V10], key=key)
                t_up = consumer.t_up
                first = None
                while True:
                    st = consumer.http.json("GET", f"/p2p/snapshots/{sid}")
                    idx = st.get("last_chunk_index", -1)
                    if first is None:
                        first = idx
                    elif idx > first:
                        t_next = time.monotonic()
                        break
                    if st["state"] == "failed":
                        raise RuntimeError(f"resume: session failed after restart: {st}")
                    if time.monotonic() - t_up > 60:
                        raise RuntimeError("resume: no chunk within 60 s of the restart")
                    time.sleep(0.001)
                runs.append({"mark": mark, "from_up_ms": (t_next - t_up) * 1000,
                             "from_spawn_ms": (t_next - t_restart) * 1000,
                             "startup_ms": (t_up - t_restart) * 1000, "chunk": first + 1})
                log(f"resume at {mark:.0%} (chunk {first + 1}): next chunk {runs[-1]['from_up_ms']:.1f} ms after the "
                    f"node is up ({runs[-1]['startup_ms']:.0f} ms to start the process)")
        finally:
            consumer.stop()
        out = {"from_up_ms": stats([r["from_up_ms"] for r in runs]),
               "from_spawn_ms": stats([r["from_spawn_ms"] for r in runs]), "runs": runs,
               "definition": "consumer node killed with SIGKILL at the mark, restarted on the same data dir; "
                             "time from its 'node ...' line (up) to the first poll (1 ms) that sees a chunk "
                             "beyond the durable cursor applied"}
        self.put("resume", out)
        self.resume_result = out

    # ---- 7. rsync

    def rsync(self):
        snaps = os.path.join(self.provider_dir, "snapshots")
        plan_dirs = [d for d in os.listdir(snaps) if not d.startswith("tmp-")]
        checkpoint = os.path.join(snaps, plan_dirs[0])
        size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(checkpoint) for f in fs)
        rdir = os.path.join(self.work, "rsync")
        shutil.rmtree(rdir, ignore_errors=True)
        os.makedirs(rdir)
        port = 20000 + os.getpid() % 20000
        conf = os.path.join(rdir, "rsyncd.conf")
        with open(conf, "w") as f:
            f.write(f"port = {port}\naddress = 127.0.0.1\nuse chroot = no\npid file = {rdir}/rsyncd.pid\n"
                    f"uid = {os.getuid()}\ngid = {os.getgid()}\n\n[snap]\npath = {checkpoint}\nread only = yes\n")
        daemon = subprocess.Popen(["rsync", "--daemon", "--no-detach", f"--config={conf}"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        runs = []
        try:
            for _ in range(self.args.repeats):
                dest = os.path.join(rdir, "dest")
                shutil.rmtree(dest, ignore_errors=True)
                d0 = proc_cpu_seconds(daemon.pid, children=True)
                c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.monotonic()
                self.run(["rsync", "-a", f"rsync://127.0.0.1:{port}/snap/", dest + "/"])
                t1 = time.monotonic()
                files = [os.path.join(dp, f) for dp, _, fs in os.walk(dest) for f in fs]
                self.run(["sha256sum"] + files)
                t2 = time.monotonic()
                c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                time.sleep(0.2)  # the daemon reaps its per-connection child
                d1 = proc_cpu_seconds(daemon.pid, children=True)
                client_cpu = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
                gib = size / GIB
                runs.append({"seconds": t2 - t0, "rsync_seconds": t1 - t0, "sha256sum_seconds": t2 - t1,
                             "mib_per_s": size / MIB / (t2 - t0),
                             "state_mib_per_s": self.state_payload / MIB / (t2 - t0),
                             "client_cpu_s_per_gib": client_cpu / gib,
                             "daemon_cpu_s_per_gib": (d1 - d0) / gib})
        finally:
            daemon.terminate()
            daemon.wait()
            shutil.rmtree(os.path.join(rdir, "dest"), ignore_errors=True)
        out = {k: stats([r[k] for r in runs]) for k in runs[0]}
        out["checkpoint_bytes"] = size
        out["ratio_to_bare_pipeline"] = out["mib_per_s"]["median"] / self.reference
        self.put("rsync", out)
        self.rsync_result = out
        log(f"rsync + sha256sum of the checkpoint ({size / MIB:.0f} MiB on disk): "
            f"{fmt(out['mib_per_s']['median'])} MiB/s (min {fmt(out['mib_per_s']['min'])}, max "
            f"{fmt(out['mib_per_s']['max'])}; rsync {fmt(out['rsync_seconds']['median'], 2)} s + sha256sum "
            f"{fmt(out['sha256sum_seconds']['median'], 2)} s), {out['ratio_to_bare_pipeline']:.2f}x bare")

    # ---- 8. mailbox

    def mailbox(self):
        out = self.run([self.tool("bench_mailbox", "mailbox"), "--messages", str(200000 if not self.quick else 50000),
                        "--runs", str(self.args.repeats)])
        figs = {}
        for line in out.splitlines():
            f = json.loads(line)
            figs[f["figure"]] = f
            log(f"mailbox: {f['figure']} {fmt(f['median'], 0)} {f['unit']} (min {fmt(f['min'], 0)}, max {fmt(f['max'], 0)})")
        self.put("mailbox", figs)

    # ---- report

    def verdicts(self):
        v = []

        def line(ok, text):
            v.append(("MET   " if ok else "MISSED") + " " + text)

        s11 = self.session_results[(V11, MIB)]["mib_per_s"]["median"]
        s10 = self.session_results[(V10, MIB)]["mib_per_s"]["median"]
        r = s11 / self.reference
        line(r >= 0.6, f"one session 1.1.0 @ 1 MiB = {s11:.1f} MiB/s = {r:.2f}x bare pipeline "
                       f"({self.reference:.1f} MiB/s); target >= 0.6x"
                       + (" (stretch 0.8x met)" if r >= 0.8 else " (stretch 0.8x not met)"))
        line(s11 / s10 >= 3, f"1.1.0 vs 1.0.0 @ 1 MiB = {s11:.1f} / {s10:.1f} MiB/s = {s11 / s10:.2f}x; target >= 3x")
        # Throughput to the machine's limit: 1.3.0 is what a node speaks by default.
        r13 = self.session_results[(V13, MIB)]
        s13 = r13["mib_per_s"]["median"]
        alt = self.rsync_result["state_mib_per_s"]["median"]
        line(s13 >= alt, f"one session at default settings (1.3.0 @ 1 MiB) = {s13:.1f} MiB/s = {s13 / alt:.2f}x "
                         f"rsync + sha256sum of the checkpoint ({alt:.1f} MiB/s of state); target >= 1.0x")
        r = s13 / self.reference
        line(r >= 0.8, f"one session 1.3.0 @ 1 MiB = {s13:.1f} MiB/s = {r:.2f}x the SST-form bare pipeline "
                       f"({self.reference:.1f} MiB/s); target >= 0.8x")
        line(s13 / s10 >= 3, f"1.3.0 vs 1.0.0 @ 1 MiB = {s13:.1f} / {s10:.1f} MiB/s = {s13 / s10:.2f}x; target >= 3x")
        ccpu = r13["consumer_cpu_s_per_gib"]["median"]
        pcpu = r13["provider_cpu_s_per_gib"]["median"]
        line(ccpu <= 3, f"consumer CPU (1.3.0 @ 1 MiB) = {ccpu:.2f} CPU s/GiB; target <= 3")
        line(pcpu <= 1.5, f"provider CPU (1.3.0 @ 1 MiB) = {pcpu:.2f} CPU s/GiB; target <= 1.5")
        one = self.scaling_results[1]["aggregate_mib_per_s"]["median"]
        many = self.scaling_results[64]["aggregate_mib_per_s"]["median"]
        line(many / one >= 0.8, f"64 sessions aggregate = {many:.1f} MiB/s = {many / one:.2f}x one session "
                                f"({one:.1f} MiB/s); target >= 0.8x; p99 request latency "
                                f"{self.scaling_results[64]['p99_request_latency_ms']:.1f} ms")
        for side in ("provider", "consumer"):
            kib = self.idle[side]["kib_per_session"]
            line(kib <= 64, f"idle session memory ({side}) = {kib:.1f} KiB per session; target <= 64 KiB")
        for n, r in self.swarm_results.items():
            agg = r["mib_per_s"]["median"]
            line(agg >= s11, f"swarm aggregate >= one session: job over {n} provider{'s' if n > 1 else ''} "
                             f"(1.3.0 @ 1 MiB) = {agg:.1f} MiB/s = {agg / s11:.2f}x one session 1.1.0 @ 1 MiB "
                             f"({s11:.1f} MiB/s); target >= 1.0x")
        ms = self.resume_result["from_up_ms"]["median"]
        line(ms < 100, f"resume to next chunk = {ms:.1f} ms after the node is up; target < 100 ms")
        self.results["verdicts"] = v
        for l in v:
            log("VERDICT " + l)

    def machine(self):
        cpu = ""
        with open("/proc/cpuinfo") as f:
            for l in f:
                if l.startswith("model name"):
                    cpu = l.split(":", 1)[1].strip()
                    break
        flags = open("/proc/cpuinfo").read()
        mem = proc_meminfo = None
        with open("/proc/meminfo") as f:
            for l in f:
                if l.startswith("MemTotal"):
                    mem = int(l.split()[1]) / 1024 / 1024
        gxx = subprocess.run(["g++", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        disk = "unknown"
        try:
            dev = subprocess.run(["findmnt", "-no", "SOURCE", "--target", self.work], capture_output=True,
                                 text=True).stdout.strip()
            name = os.path.basename(dev)
            rota = open(f"/sys/block/{name}/queue/rotational").read().strip()
            disk = f"{dev} ({'virtio block device' if name.startswith('vd') else name}, rotational={rota})"
        except OSError:
            pass
        load = open("/proc/loadavg").read().split()[:3]
        return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(mem, 1), "disk": disk,
                "kernel": platform.release(), "compiler": gxx,
                "cpu_flags": [f for f in ("sha_ni", "avx2", "aes") if f" {f}" in flags],
                "load_average_at_start": self.load_at_start, "load_average_at_end": load,
                "os": open("/etc/debian_version").read().strip() if os.path.exists("/etc/debian_version") else ""}

    def write(self):
        out = self.args.out
        os.makedirs(out, exist_ok=True)
        self.results["machine"] = self.machine()
        self.results["mode"] = "quick" if self.quick else "full"
        self.results["command"] = "bench/run" + (" --quick" if self.quick else "")
        self.results["date"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        self.results["seconds"] = self.elapsed()
        self.results["reference_mib_per_s"] = self.reference
        with open(os.path.join(out, "results.json"), "w") as f:
            json.dump(self.results, f, indent=1, sort_keys=True)
        self.charts(out)
        with open(os.path.join(out, "results.md"), "w") as f:
            f.write(self.markdown())
        log(f"results: {out}/results.md, results.json, throughput_vs_chunk_size.png, "
            f"throughput_vs_sessions.png, throughput_vs_providers.png ({self.elapsed():.0f} s)")

    def charts(self, out):
        data = os.path.join(self.work, "chunk.dat")
        with open(data, "w") as f:
            for cs in self.chunk_sizes:
                a = self.session_results[(V11, cs)]["mib_per_s"]
                b = self.session_results[(V10, cs)]["mib_per_s"]
                c = self.session_results[(V13, cs)]["mib_per_s"]
                p = self.pipeline[cs]
                f.write(f"{cs // 1024} {a['median']} {a['min']} {a['max']} {b['median']} {b['min']} {b['max']} "
                        f"{p['median']} {p['min']} {p['max']} {c['median']} {c['min']} {c['max']}\n")
        sdata = os.path.join(self.work, "sessions.dat")
        with open(sdata, "w") as f:
            for n, r in self.scaling_results.items():
                a = r["aggregate_mib_per_s"]
                f.write(f"{n} {a['median']} {a['min']} {a['max']} {r['p99_request_latency_ms']}\n")
        wdata = os.path.join(self.work, "providers.dat")
        with open(wdata, "w") as f:
            for n, r in self.swarm_results.items():
                a = r["mib_per_s"]
                f.write(f"{n} {a['median']} {a['min']} {a['max']}\n")
        one = self.session_results[(V11, MIB)]["mib_per_s"]["median"]
        script = f"""
set terminal pngcairo size 900,560 noenhanced
set output '{out}/throughput_vs_chunk_size.png'
set title 'One session: throughput vs chunk size (median, min-max bars)'
set xlabel 'chunk size (KiB, requested; 1.0.0 clamps 4 MiB to its response cap)'
set ylabel 'MiB/s'
set logscale x 2
set key top left
set grid
set yrange [0:*]
plot '{data}' using 1:8:9:10 with yerrorlines lw 2 title 'bare pipeline (1.0x)', \\
     '{data}' using 1:11:12:13 with yerrorlines lw 2 title '/rpp/snapshots/1.3.0', \\
     '{data}' using 1:2:3:4 with yerrorlines lw 2 title '/rpp/snapshots/1.1.0', \\
     '{data}' using 1:5:6:7 with yerrorlines lw 2 title '/rpp/snapshots/1.0.0'
set output '{out}/throughput_vs_sessions.png'
set title 'Concurrent sessions against one provider (1.1.0, 1 MiB chunks)'
set xlabel 'concurrent sessions'
set ylabel 'aggregate MiB/s'
set y2label 'p99 request latency (ms)'
set y2tics
set logscale x 2
set y2range [0:*]
plot '{sdata}' using 1:2:3:4 with yerrorlines lw 2 title 'aggregate throughput', \\
     {self.reference} with lines dt 2 title 'bare pipeline (1 MiB)', \\
     '{sdata}' using 1:5 axes x1y2 with linespoints title 'p99 request latency'
unset y2label
unset y2tics
set output '{out}/throughput_vs_providers.png'
set title 'One job over P providers on one machine (1.3.0, 1 MiB chunks)'
set xlabel 'providers'
set ylabel 'MiB/s'
set xrange [0.8:10]
set xtics (1, 2, 4, 8)
plot '{wdata}' using 1:2:3:4 with yerrorlines lw 2 title 'job aggregate', \\
     {one} with lines dt 3 lw 2 title 'one session (1.1.0, 1 MiB)', \\
     {self.reference} with lines dt 2 title 'bare pipeline (1 MiB)'
"""
        r = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True)
        if r.returncode != 0:
            # pngcairo may be missing from gnuplot-nox builds: fall back to png.
            r = subprocess.run(["gnuplot"], input=script.replace("pngcairo", "png"), capture_output=True, text=True)
            if r.returncode != 0:
                log(f"gnuplot failed: {r.stderr.strip()[:300]}")

    def markdown(self):
        R = self.results
        m = R["machine"]
        L = []
        L.append(f"# snapstream benchmark ({R['mode']} run)\n")
        L.append(f"Command: `{R['command']}` · {R['date']} · measured in {R['seconds']:.0f} s "
                 f"(build excluded) · state: {R['state']['records']} records, "
                 f"{self.state_payload / MIB:.0f} MiB of pages, 64 KiB pages.\n")
        L.append(f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, disk {m['disk']}, "
                 f"Linux {m['kernel']}, {m['compiler']}, CPU flags {', '.join(m['cpu_flags'])}. "
                 f"Load average (1/5/15 min) at start {' '.join(m['load_average_at_start'])}, "
                 f"at end {' '.join(m['load_average_at_end'])}: the machine is shared.\n")
        L.append("Every figure: median of the runs (min – max). Ratios are to the bare pipeline in its SST form "
                 f"(each chunk an SST file, synced and ingested) at 1 MiB chunks measured in this run: "
                 f"**{self.reference:.1f} MiB/s = 1.0x**. Everything runs on "
                 "loopback with the data in the page cache; sessions and the bare pipeline make each chunk "
                 "durable (a synced RocksDB write, or a synced SST file and its ingestion); rsync does not sync.\n")
        L.append("## Verdicts\n")
        for v in R["verdicts"]:
            L.append(f"- `{v}`")
        L.append("")
        F = R["figures"]

        def mm(s, d=1):
            return f"{fmt(s['median'], d)} ({fmt(s['min'], d)} – {fmt(s['max'], d)})"

        L.append("## 1. Limits and 2. transport\n")
        L.append("| figure | MiB/s | ratio |")
        L.append("|---|---|---|")
        L.append(f"| raw TCP loopback, one connection | {mm(F['raw_tcp'])} | {F['raw_tcp']['median'] / self.reference:.2f}x |")
        L.append(f"| SHA-256, 64 KiB pages | {mm(F['sha256'])} | {F['sha256']['median'] / self.reference:.2f}x |")
        for form, label in (("sst", "SST file ingested per chunk"), ("batch", "synced WriteBatch per chunk")):
            for cs in self.chunk_sizes:
                p = self.pipeline_forms[form][cs]
                L.append(f"| bare pipeline, {label}, {cs // 1024} KiB chunks ({fmt(p['cpu_s_per_gib'], 2)} CPU s/GiB) | "
                         f"{mm(p)} | {p['median'] / self.reference:.2f}x |")
        for name, f in F["transport"]["figures"].items():
            ratio = f"{f['median'] / self.reference:.2f}x" if f["unit"] == "MiB/s" else ""
            L.append(f"| transport: {name} ({f['unit']}) | {mm(f)} | {ratio} |")
        L.append("")
        L.append("## 3. One session end to end (two `snapstream node` processes, driven over HTTP)\n")
        L.append("| protocol | chunk (effective) | MiB/s | chunks/s | ratio | provider CPU s/GiB | "
                 "consumer CPU s/GiB | provider peak RSS MiB | consumer peak RSS MiB |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        for (p, cs), a in self.session_results.items():
            L.append(f"| {p.rsplit('/', 1)[1]} | {cs // 1024} KiB ({int(a['effective_chunk_size']['median']) // 1024} KiB) | "
                     f"{mm(a['mib_per_s'])} | {fmt(a['chunks_per_s']['median'])} | {a['ratio_to_bare_pipeline']:.2f}x | "
                     f"{fmt(a['provider_cpu_s_per_gib']['median'], 2)} | {fmt(a['consumer_cpu_s_per_gib']['median'], 2)} | "
                     f"{fmt(a['provider_peak_rss_mib']['median'])} | {fmt(a['consumer_peak_rss_mib']['median'])} |")
        L.append("")
        L.append("![throughput vs chunk size](throughput_vs_chunk_size.png)\n")
        L.append("## 4. Scaling (1.1.0, 1 MiB chunks, one consumer node, one provider node)\n")
        L.append("Aggregate throughput from the consumer's `snapstream_snapshot_bytes_received_total` over a "
                 "steady window split in three (median, min – max of the thirds); request latency quantiles "
                 "interpolated in the `snapstream_chunk_request_duration_seconds` histogram (chunk and ack "
                 "requests; buckets 1, 2.5, 5, 10, 25, 50, 100, 250 ms ...).\n")
        L.append("| sessions | aggregate MiB/s | chunks/s | ratio | p50 ms | p99 ms | provider CPU s/GiB | "
                 "consumer CPU s/GiB | provider peak RSS MiB | consumer peak RSS MiB |")
        L.append("|---|---|---|---|---|---|---|---|---|---|")
        for n, r in self.scaling_results.items():
            L.append(f"| {n} | {mm(r['aggregate_mib_per_s'])} | {fmt(r['chunks_per_s'])} | {r['ratio_to_bare_pipeline']:.2f}x | "
                     f"{fmt(r['p50_request_latency_ms'], 2)} | {fmt(r['p99_request_latency_ms'], 2)} | "
                     f"{fmt(r['provider_cpu_s_per_gib'], 2)} | {fmt(r['consumer_cpu_s_per_gib'], 2)} | "
                     f"{fmt(r['provider_peak_rss_mib'])} | {fmt(r['consumer_peak_rss_mib'])} |")
        L.append("")
        L.append("![throughput vs sessions](throughput_vs_sessions.png)\n")
        L.append("### Memory of idle sessions\n")
        L.append("| side | sessions | RSS before → after (KiB) | KiB per session | what |")
        L.append("|---|---|---|---|---|")
        for side, d in F["idle_sessions"].items():
            L.append(f"| {side} | {d['sessions']} | {d['rss_before_kib']} → {d['rss_after_kib']} | "
                     f"{fmt(d['kib_per_session'])} | {d['definition']} |")
        L.append("")
        L.append("## 5. One snapshot from many providers (a sync job, 1.3.0, 1 MiB chunks)\n")
        sw = F["swarm"]
        cores = m["cores"]
        L.append(f"One consumer node fetches the whole snapshot in one job (`POST /p2p/snapshots` with "
                 f"`peers`) from P provider nodes at once, each on its own copy of the provider's data dir "
                 f"({sw['copy_bytes'] / MIB:.0f} MiB) with its own key and ports, all serving the same plan "
                 f"and signed chain. MiB/s is chunk payload applied over the time from the POST to the "
                 f"poll that sees the job verified, compared with the bare pipeline (1.0x) and with one "
                 f"session, 1.1.0 at 1 MiB in section 3: **{sw['one_session_mib_per_s']:.1f} MiB/s**. "
                 f"Provider CPU is summed over the P processes; provider peak RSS is the largest of them.\n")
        most = max(self.swarm_results)
        L.append(f"The provider nodes are started once and serve one unmeasured job over all of them first "
                 f"(a fresh node serves its first session more slowly); a job over P uses the first P, "
                 f"the others stay up, idle. **All P + 1 node processes run on this machine's {cores} "
                 f"cores**, each with its own CAF scheduler, Asio and RocksDB threads, so from 2 providers on "
                 f"they contend for CPU with the consumer, and at {most} providers {most + 1} processes share "
                 f"{cores} cores: that is expected, and it is why the aggregate here says what a job costs "
                 f"as P grows on one machine, not what {most} machines would give. On loopback, more "
                 f"providers can only overlap their request round trips (each provider's session has one "
                 f"request in flight).\n")
        L.append("| providers | MiB/s | chunks/s | ratio | vs one session | consumer CPU s/GiB | "
                 "providers CPU s/GiB (sum) | consumer peak RSS MiB | provider peak RSS MiB (max) | p50 ms | p99 ms |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for n, r in self.swarm_results.items():
            L.append(f"| {n} | {mm(r['mib_per_s'])} | {fmt(r['chunks_per_s']['median'])} | "
                     f"{r['ratio_to_bare_pipeline']:.2f}x | {r['ratio_to_one_session']:.2f}x | "
                     f"{fmt(r['consumer_cpu_s_per_gib']['median'], 2)} | "
                     f"{fmt(r['providers_cpu_s_per_gib']['median'], 2)} | "
                     f"{fmt(r['consumer_peak_rss_mib']['median'])} | {fmt(r['provider_peak_rss_mib']['median'])} | "
                     f"{fmt(r['p50_request_latency_ms']['median'], 2)} | {fmt(r['p99_request_latency_ms']['median'], 2)} |")
        L.append("")
        L.append("![throughput vs providers](throughput_vs_providers.png)\n")
        L.append("How the job shared the chunks: chunks applied from each provider in each run (largest "
                 "first; the run nearest the median first), the smallest and largest provider's share of "
                 "the chunks (min – max over the runs), chunks the providers served beyond those applied "
                 "(duplicates of late chunks, answers lost to failures), chunk writes beyond the chunks "
                 "(a chunk written twice), the job's failed requests, and its backpressure answers: asks "
                 "for work that a provider's session refused because its one request slot was taken "
                 "(by a chunk ack, say) (medians).\n")
        L.append("| providers | chunks per provider, per run | smallest share | largest share | "
                 "served beyond applied | writes beyond applied | failures | backpressure |")
        L.append("|---|---|---|---|---|---|---|---|")

        def pct(s):
            return f"{s['median']:.0%} ({s['min']:.0%} – {s['max']:.0%})"

        for n, r in self.swarm_results.items():
            per = "; ".join(" / ".join(str(x["chunks"]) for x in sorted(run, key=lambda x: -x["chunks"]))
                            for run in r["shares"])
            L.append(f"| {n} | {per} | {pct(r['smallest_share'])} | {pct(r['largest_share'])} | "
                     f"{fmt(r['chunks_served_beyond_applied']['median'], 0)} | "
                     f"{fmt(r['chunk_writes_beyond_applied']['median'], 0)} | {fmt(r['failures']['median'], 0)} | "
                     f"{fmt(r['backpressure']['median'], 0)} |")
        L.append("")
        L.append("## 6. Resume\n")
        r = F["resume"]
        L.append(f"Next chunk applied {mm(r['from_up_ms'])} ms after the restarted consumer node is up "
                 f"({mm(r['from_spawn_ms'])} ms after the process was spawned). {r['definition']}.\n")
        L.append("## 7. The alternative: rsync daemon on loopback + sha256sum\n")
        rs = F["rsync"]
        L.append(f"Checkpoint of the same state: {rs['checkpoint_bytes'] / MIB:.0f} MiB on disk (SST files, LZ4/ZSTD "
                 f"blocks). rsync -a from an rsync daemon on 127.0.0.1 into an empty directory, then sha256sum "
                 f"of every file: {mm(rs['mib_per_s'])} MiB/s of checkpoint "
                 f"({mm(rs['state_mib_per_s'])} MiB/s of state pages), {rs['ratio_to_bare_pipeline']:.2f}x; "
                 f"rsync {fmt(rs['rsync_seconds']['median'], 2)} s + sha256sum {fmt(rs['sha256sum_seconds']['median'], 2)} s; "
                 f"CPU s/GiB: rsync client {fmt(rs['client_cpu_s_per_gib']['median'], 2)} (with sha256sum), "
                 f"daemon {fmt(rs['daemon_cpu_s_per_gib']['median'], 2)}. It verifies nothing against a trusted "
                 f"root and is not durable (no fsync).\n")
        L.append("## 8. CAF mailbox and the Asio<->actor bridge\n")
        L.append("| figure | rate |")
        L.append("|---|---|")
        for name, f in F["mailbox"].items():
            L.append(f"| {name} | {fmt(f['median'], 0)} {f['unit']} ({fmt(f['min'], 0)} – {fmt(f['max'], 0)}) |")
        L.append("")
        return "\n".join(L) + "\n"

    # ---- main

    def main(self):
        self.load_at_start = open("/proc/loadavg").read().split()[:3]
        self.chunk_sizes = [64 * 1024, 256 * 1024, MIB, 4 * MIB]
        log(f"bench: {'quick' if self.quick else 'full'} run, state {self.args.state_mib} MiB, "
            f"{self.args.repeats} repeats, work dir {self.work}")
        self.prepare_state()
        self.limits()
        self.state_payload = self.pipeline[MIB]["bytes"]
        self.transport()
        self.mailbox()
        self.provider = self.provider_node()
        try:
            self.sessions()
            self.scaling()
            self.resume()
            self.idle_memory()
        finally:
            self.provider.stop()
        self.swarm()
        self.rsync()
        self.verdicts()
        self.write()


def main():
    ap = argparse.ArgumentParser(prog="bench/run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller state, fewer repeats (about 5 minutes)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "bench"), help="the Release build directory")
    ap.add_argument("--work", default=None, help="scratch directory (default: BUILD/../bench-work)")
    ap.add_argument("--out", default=None,
                    help="results directory (default: bench/results for a full run, BUILD/../bench-results-quick "
                         "for --quick)")
    ap.add_argument("--state-mib", type=int, default=None, help="generated state size (full 1024, quick 256)")
    ap.add_argument("--repeats", type=int, default=None, help="runs per figure (full 3, quick 1-2)")
    ap.add_argument("--scaling-window", type=float, default=None, help="seconds measured per concurrency level")
    ap.add_argument("--idle-sessions", type=int, default=1000)
    ap.add_argument("--swarm-providers", default="1,2,4,8",
                    help="provider counts of the swarm section, comma-separated (default 1,2,4,8)")
    args = ap.parse_args()
    build_parent = os.path.dirname(os.path.abspath(args.build))
    if args.work is None:
        args.work = os.path.join(build_parent, "bench-work")
    if args.out is None:
        args.out = os.path.join(ROOT, "bench", "results") if not args.quick else os.path.join(build_parent,
                                                                                             "bench-results-quick")
    if args.state_mib is None:
        args.state_mib = 256 if args.quick else 1024
    if args.repeats is None:
        args.repeats = 2 if args.quick else 3
    if args.scaling_window is None:
        args.scaling_window = 3.0 if args.quick else 6.0
    args.swarm_providers = sorted({int(n) for n in args.swarm_providers.split(",") if n.strip()})
    if not args.swarm_providers or args.swarm_providers[0] < 1:
        ap.error("--swarm-providers: provider counts are integers >= 1")
    Bench(args).main()


if __name__ == "__main__":
    main()
