#!/usr/bin/env python3
"""The short form of the WAN bench's swarm and fault sections (bench/wan),
run as a test: a 16 MiB snapshot, one sync job over four provider nodes, each
in its own namespace behind a shaped 100 Mbit/s link with a 40 ms round trip,
then the same job four times, each with one fault once it has applied a third
of its chunks (half for the consumer): one provider's link down for a second,
one provider frozen with SIGSTOP for two seconds, one provider killed, and the
consumer killed with SIGKILL and restarted on its data directory.

Asserts that every job ends `verified` with the consumer's state digest equal
to the provider's (bench/wan/wan.py fails otherwise), that each fault struck
while its job was running, and that the testbed left nothing behind. Never a
speed. Needs root (exit 77, skipped, without it) and SNAPSTREAM_BUILD_DIR.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ.get("SNAPSTREAM_SOURCE_DIR",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BUILD = os.environ.get("SNAPSTREAM_BUILD_DIR", "")


class SwarmFaults(unittest.TestCase):
    def test_a_four_provider_job_completes_with_equal_digests_through_every_fault(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = subprocess.Popen([sys.executable, os.path.join(SOURCE, "bench", "wan", "wan.py"), "--build", BUILD,
                                  "--quick", "--links", "", "--bootstrap-nodes", "0", "--swarm-state-mib", "16", "--swarm-chunk-kib", "1024",
                                  "--cut-seconds", "1", "--freeze-seconds", "2",
                                  "--work", os.path.join(tmp, "work"), "--out", os.path.join(tmp, "out")],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            out, err = p.communicate(timeout=600)
            print(out)
            self.assertEqual(p.returncode, 0, out[-3000:] + err[-3000:])
            tag = f"ssw{p.pid}"  # testbed.py names everything after its process
            with open(os.path.join(tmp, "out", "wan.json")) as f:
                res = json.load(f)
            w = res["swarm"]
            self.assertEqual(w["providers"], 4)
            self.assertGreater(w["job"]["mib_per_s"]["median"], 0)
            # All four providers delivered part of the fault-free job.
            self.assertEqual(len(w["job"]["shares"]), 4)
            self.assertTrue(all(x > 0 for x in w["job"]["shares"]), w["job"]["shares"])
            titles = [f["title"] for f in w["faults"]]
            self.assertEqual(titles, ["link cut", "provider frozen", "provider killed", "consumer killed"])
            for f in w["faults"]:
                # The fault struck mid-job (its log names the chunk count it struck at) ...
                self.assertTrue(f["fault"], f"{f['title']} never struck")
                m = re.search(r"at (\d+)/(\d+)", f["fault"][0])
                self.assertIsNotNone(m, f["fault"])
                self.assertLess(int(m.group(1)), int(m.group(2)), f["fault"])
                # ... and every chunk was applied, the job verified with the provider's digest (wan.py checks).
                self.assertGreaterEqual(f["chunk_writes"], f["chunks"])
            self.assertIn("consumer killed (SIGKILL)", w["faults"][3]["fault"][0])
            namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
            self.assertEqual([l for l in namespaces.splitlines() if l.startswith(tag + "-")], [])
            links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
            self.assertNotIn(f" {tag}c", links)


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("wan_swarm_faults: skipped: the testbed needs root (network namespaces, veth, tc)")
        sys.exit(77)
    if not BUILD or not os.access(os.path.join(BUILD, "app", "snapstream"), os.X_OK):
        print("wan_swarm_faults: SNAPSTREAM_BUILD_DIR must hold app/snapstream and bench/wan/delay_relay")
        sys.exit(1)
    unittest.main(verbosity=2)
