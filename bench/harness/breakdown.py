#!/usr/bin/env python3
"""Where one session's CPU goes, step by step, on both nodes.

Runs bench/run's one-session case (one 1.3.0 session over loopback, the
bench's generated state) with `perf record -g` on the provider and on the
consumer, and charges every sample to the first step of its call chain (from
the innermost frame out) that the tables below name; samples of no step are
"other" (actor scheduling, timers, the HTTP poll, the allocator).
Multiplied by each process's CPU seconds per GiB of chunk payload, the shares
become CPU s/GiB per step. With `--before BUILD` the same run is made with an
older build too, so a change shows step by step.

    python3 bench/harness/breakdown.py --build build/bench [--before OLD_BUILD]

Needs root (perf) and Debian's linux-perf; writes breakdown.md and
breakdown.json to --out (default: bench/results).
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import bench as B  # noqa: E402

# (step, symbol substrings): a sample belongs to the first step, in this
# order, that has a frame whose symbol holds one of the substrings.
CONSUMER_STEPS = [
    ("verify: page hashes and record parsing", ["snapshot::verify_chunk"]),
    ("apply: SST file, ingest, progress batch", ["session_store::apply_chunk"]),
    ("decrypt: Noise ChaCha20-Poly1305", ["noise_transport::open_in_place"]),
    ("receive: Yamux and stream reads", ["yamux_session::receive", "connection::read_to_end",
                                         "connection::on_data"]),
    ("decode: frame and JSON envelope", ["messages::decode_response"]),
    ("socket: TCP receive (kernel)", ["__libc_recv", "recvmsg", "__libc_read"]),
    ("socket: TCP send (kernel)", ["__libc_send", "__send", "sendmsg", "__libc_write"]),
]
PROVIDER_STEPS = [
    ("read: chunk from the checkpoint", ["snapshot_store::read_chunk", "chunk_from_checkpoint"]),
    ("durable: served-session records and acks", ["db_impl::write", "served_store::save"]),
    ("encrypt: Noise ChaCha20-Poly1305", ["noise_transport::seal_into", "noise_transport::seal"]),
    ("encode: JSON envelope and frame", ["messages::encode", "append_envelope"]),
    ("receive: Yamux, request decode", ["yamux_session::receive", "messages::decode_request",
                                        "noise_transport::open_in_place"]),
    ("socket: TCP send (kernel)", ["__libc_send", "__send", "sendmsg", "__libc_write", "writev"]),
    ("socket: TCP receive (kernel)", ["__libc_recv", "recvmsg", "__libc_read"]),
]


def log(msg):
    print(msg, flush=True)


def chains(perf_data):
    """Yields each sample's call chain as a list of symbols, innermost first."""
    out = subprocess.run(["perf", "script", "-i", perf_data, "-F", "ip,sym", "--no-demangle"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"perf script: {out.stderr[-400:]}")
    # Demangled names are what the tables match; c++filt does it in one go.
    text = subprocess.run(["c++filt"], input=out.stdout, capture_output=True, text=True).stdout
    frames = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            if frames:
                yield frames
            frames = []
            continue
        parts = line.split(None, 1)
        frames.append(parts[1] if len(parts) > 1 else parts[0])
    if frames:
        yield frames


def shares(perf_data, steps):
    counts = collections.Counter()
    total = 0
    for frames in chains(perf_data):
        total += 1
        step = "other"
        for name, needles in steps:
            if any(n in f for f in frames for n in needles):
                step = name
                break
        counts[step] += 1
    return {k: v / total for k, v in counts.items()} if total else {}, total


def one_session(b, args, perf_files=None):
    """One 1.3.0 session; with `perf_files` ({node: path}) under perf record."""
    consumer = b.consumer_node("breakdown-consumer", protocols=[B.V13])
    perfs = []
    if perf_files:
        # DWARF unwinding: our code and libcrypto have no frame pointers.
        perfs = [subprocess.Popen(["perf", "record", "--call-graph", "dwarf,16384", "-F", str(args.frequency),
                                   "-o", perf_files[n], "-p", str(pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for n, pid in (("provider", b.provider.pid), ("consumer", consumer.pid))]
        time.sleep(1.0)  # perf attaches
    try:
        p0, c0 = b.provider.cpu(), consumer.cpu()
        t0 = time.monotonic()
        s = consumer.http.json("POST", "/p2p/snapshots", {"peer": b.provider_peer, "chunk_size": args.chunk_kib * 1024})
        s, t1 = b.wait_session(consumer, s["session"], timeout=900)
        p1, c1 = b.provider.cpu(), consumer.cpu()
    finally:
        for p in perfs:
            p.send_signal(2)
            p.wait()
        consumer.stop()
    if s["state"] != "verified":
        raise RuntimeError(f"session failed: {s}")
    gib = s["bytes_received"] / B.GIB
    return {"mib_per_s": s["bytes_received"] / B.MIB / (t1 - t0),
            "provider_cpu_s_per_gib": (p1 - p0) / gib, "consumer_cpu_s_per_gib": (c1 - c0) / gib}


def run_build(build, args, label):
    """`repeats` sessions without perf (their medians: throughput and CPU),
    then one under perf (the shares: perf's own cost inflates CPU time)."""
    ns = argparse.Namespace(build=build, work=args.work, quick=True, state_mib=args.state_mib, repeats=1)
    b = B.Bench(ns)
    b.prepare_state()
    b.provider = b.provider_node()
    try:
        runs = []
        for i in range(args.repeats):
            runs.append(one_session(b, args))
            log(f"{label} run {i + 1}: {runs[-1]['mib_per_s']:.1f} MiB/s, provider "
                f"{runs[-1]['provider_cpu_s_per_gib']:.2f} / consumer {runs[-1]['consumer_cpu_s_per_gib']:.2f} "
                "CPU s/GiB")
        perf_dir = os.path.join(args.work, "perf")
        os.makedirs(perf_dir, exist_ok=True)
        files = {n: os.path.join(perf_dir, f"{label}-{n}.data") for n in ("provider", "consumer")}
        one_session(b, args, files)
    finally:
        b.provider.stop()
    out = {k: B.stats([r[k] for r in runs])["median"] for k in runs[0]}
    for n, steps in (("provider", PROVIDER_STEPS), ("consumer", CONSUMER_STEPS)):
        out[f"{n}_shares"], out[f"{n}_samples"] = shares(files[n], steps)
        os.remove(files[n])
    return out


def table(L, side, steps, results):
    labels = list(results)
    L.append(f"| {side} step | " + " | ".join(f"{lb}: share | CPU s/GiB" for lb in labels) + " |")
    L.append("|---|" + "---|---|" * len(labels))
    for name in [s for s, _ in steps] + ["other"]:
        cells = []
        for lb in labels:
            r = results[lb]
            share = r[f"{side}_shares"].get(name, 0.0)
            cells.append(f"{share * 100:.1f}% | {share * r[f'{side}_cpu_s_per_gib']:.2f}")
        L.append(f"| {name} | " + " | ".join(cells) + " |")
    L.append(f"| **all** | " + " | ".join(f"100% | **{results[lb][f'{side}_cpu_s_per_gib']:.2f}**"
                                           for lb in labels) + " |")


def source_commit(build):
    """The commit of the tree `build` was configured from, "-dirty" when it had changes."""
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            home = next(l.split("=", 1)[1].strip() for l in f if l.startswith("CMAKE_HOME_DIRECTORY:"))
        head = subprocess.run(["git", "-C", home, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", home, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, StopIteration, subprocess.CalledProcessError):
        return "unknown"


def main():
    ap = argparse.ArgumentParser(prog="bench/harness/breakdown.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "bench"), help="the Release build directory")
    ap.add_argument("--before", default=None, help="an older Release build to compare with")
    ap.add_argument("--work", default=None, help="scratch directory (default: BUILD/../bench-work)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--state-mib", type=int, default=256)
    ap.add_argument("--chunk-kib", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--frequency", type=int, default=1999, help="perf samples per second")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("breakdown.py: perf needs root")
    if shutil.which("perf") is None:
        sys.exit("breakdown.py: perf is missing (apt-get install linux-perf)")
    if args.work is None:
        args.work = os.path.join(os.path.dirname(os.path.abspath(args.build)), "bench-work")
    results = {}
    if args.before:
        results[f"before ({source_commit(args.before)})"] = run_build(os.path.abspath(args.before), args, "before")
    results[f"now ({source_commit(args.build)})"] = run_build(os.path.abspath(args.build), args, "now")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "breakdown.json"), "w") as f:
        json.dump({"chunk_kib": args.chunk_kib, "state_mib": args.state_mib, "runs": args.repeats,
                   "results": results}, f, indent=1)
    L = ["# Where one session's CPU goes", "",
         f"Command: `python3 bench/harness/breakdown.py{' --before <older build>' if args.before else ''}` · "
         f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')}. One `/rpp/snapshots/1.3.0` session over loopback, "
         f"{args.chunk_kib} KiB chunks, {args.state_mib} MiB of generated state (bench/run's one-session case); "
         f"medians of {args.repeats} runs, then one more under `perf record --call-graph dwarf` on each node for "
         "the shares: a sample counts for the first step of its call chain, from the innermost frame out, that "
         "the script's tables name. CPU s/GiB = the step's share x the process's CPU seconds per GiB of chunk "
         "payload (from the runs without perf, which costs CPU of its own).", ""]
    for lb, r in results.items():
        L.append(f"- {lb}: {r['mib_per_s']:.1f} MiB/s; provider {r['provider_cpu_s_per_gib']:.2f}, consumer "
                 f"{r['consumer_cpu_s_per_gib']:.2f} CPU s/GiB ({r['provider_samples']} and "
                 f"{r['consumer_samples']} samples)")
    L.append("")
    table(L, "consumer", CONSUMER_STEPS, results)
    L.append("")
    table(L, "provider", PROVIDER_STEPS, results)
    L.append("")
    with open(os.path.join(args.out, "breakdown.md"), "w") as f:
        f.write("\n".join(L))
    log(f"results: {args.out}/breakdown.md, breakdown.json")


if __name__ == "__main__":
    main()
