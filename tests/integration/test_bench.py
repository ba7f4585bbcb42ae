"""Smoke test of the benchmark driver (bench/bench.py), so that it cannot rot unnoticed.

Run: cd tests/integration && PYTHONPATH=../harness:../fixtures python3 -m unittest -v test_bench

Runs `bench/bench.py --quick --runs 1 --only put,docs` (64 MiB stream over HTTP and HTTPS, ~1,000
documents, data in a temporary directory; ~30 s on 2 cores) against the real servers it starts and
checks that the table is produced with every row, every run succeeded, and every target of those
groups got a verdict. It does not judge the targets: one run on tiny data on a shared CI machine
measures noise, not the tool. The db, restore, verify and full groups need the ERP database
generated (a minute more on 2 cores), so they are left to the manual smoke run
`python3 bench/bench.py --quick --runs 1` (about 75 s with cached data; docs/performance.md).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BENCH = os.path.join(ROOT, "bench", "bench.py")

EXPECTED_ROWS = [
    "erp-backup put (http)", "aws s3 cp - (http)", "s3cmd put - (http)", "rclone rcat (http)",
    "erp-backup put (https)", "aws s3 cp - (https)", "s3cmd put - (https)", "rclone rcat (https)",
    "floor: openssl dgst -sha256 (http; sends nothing)", "floor: openssl enc -aes-256-ctr (https; sends nothing)",
    "erp-backup backup --only docs", "tar | zstd -3 -T2 | aws s3 cp -",
]


class BenchDriverSmoke(unittest.TestCase):
    def test_quick_run_prints_and_writes_the_whole_table(self):
        with tempfile.TemporaryDirectory(prefix="erp-bench-smoke-") as scratch:
            out = os.path.join(scratch, "latest.md")
            done = subprocess.run([sys.executable, BENCH, "--quick", "--runs", "1", "--only", "put,docs", "--data-dir",
                                   os.path.join(scratch, "data"), "--out", out],
                                  capture_output=True, text=True, timeout=900)
            # 0: every target passed; 1: some target failed (noise on tiny data). Anything else
            # (a traceback is 1 too, hence the checks below) is a broken driver.
            self.assertIn(done.returncode, (0, 1), done.stderr[-3000:])
            self.assertIn("<!-- bench-table:end -->", done.stdout, done.stderr[-3000:])
            with open(out) as f:
                written = f.read()
        table = written.split("<!-- bench-table:begin -->", 1)[1].split("<!-- bench-table:end -->", 1)[0]
        self.assertIn(table, done.stdout)  # the same table on stdout and in the file
        self.assertRegex(written, r"machine: nproc \d+, .+, Linux .+, commit ")
        for name in EXPECTED_ROWS:
            line = next((ln for ln in table.splitlines() if ln.startswith(name + "  ")), None)
            self.assertIsNotNone(line, f"no row {name!r} in\n{table}")
            self.assertRegex(line, r"\s ok\s", line)
            numbers = [float(v) for v in re.findall(r"\s(\d+\.\d\d?)(?=\s|$)", line)]
            self.assertEqual(len(numbers), 6, line)  # wall, CPU, CPU/GiB, RSS, two ratios
            self.assertGreater(numbers[0], 0.0, f"wall time of {name}")
        self.assertIn("PASS  every run succeeded", written)
        # The put CPU verdicts quote the floor row next to the target (what any client must spend).
        self.assertRegex(written, r"put http: erp CPU/GiB [\d.]+ <= 1/3 of aws [\d.]+ \(= [\d.]+; floor: openssl dgst -sha256: [\d.]+\)")
        self.assertRegex(written, r"put https: erp CPU/GiB [\d.]+ <= 1/3 of aws [\d.]+ \(= [\d.]+; floor: openssl enc -aes-256-ctr: [\d.]+\)")
        verdicts = re.findall(r"^(PASS|FAIL)  ", written, re.M)
        self.assertEqual(len(verdicts), 10, written)  # put http and https: 3 each; docs: 3; every run


if __name__ == "__main__":
    unittest.main()
