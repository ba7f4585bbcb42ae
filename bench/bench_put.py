#!/usr/bin/env python3
"""Benchmark: stream N bytes from a pipe into one S3 object, erp-backup vs the usual tools.

    python3 bench/bench_put.py [--size 1GiB] [--backend s3rver|moto] [--tools erp,aws,rclone,s3cmd]
                               [--max-erp-rss-mib 64] [--https] [--input FILE] [--runs N]

Every tool reads the same bytes from a pipe (`head -c SIZE /dev/zero`; the content does not
matter to an uploader that does not compress), or with --input from FILE as its stdin (the
first SIZE bytes must exist; SIZE defaults to the file's size), and writes to the same server: a
real S3 implementation started here, behind the signature-verifying test front, as in the tests.
--https serves the front over TLS with a throwaway CA that every tool is told to trust (aws:
AWS_CA_BUNDLE, rclone: --ca-cert, s3cmd: --ca-certs, erp-backup: AWS_CA_BUNDLE). With --runs N
the tools take turns N times and the table shows each one's median run (by CPU). Each
tool's own process is measured with /usr/bin/time -v (the producer is not counted): wall time,
CPU (user+sys), peak RSS. The object is read back and its size checked, so a tool that failed
silently shows as FAIL, not as fast.

Prints a table. Exits 1 when erp-backup's peak RSS exceeds --max-erp-rss-mib (the bound that
issue 2 promises at default settings). Not a timed test: the table is for reading.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

from erp_cli import BINARY, clean_env  # noqa: E402
from s3_servers import S3Front  # noqa: E402

UNITS = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}


def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+)([a-zA-Z]*)", text)
    if not match or match.group(2).lower() not in UNITS:
        raise argparse.ArgumentTypeError(f"bad size {text!r} (e.g. 1GiB, 256MiB)")
    return int(match.group(1)) * UNITS[match.group(2).lower()]


def measure(command: list[str], size: int, env: dict, input_file: str | None = None) -> dict:
    """Run `head -c size /dev/zero | /usr/bin/time -v COMMAND` (or `COMMAND < input_file`) and
    parse time's report."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        timed = ["/usr/bin/time", "-v", "-o", report.name, *command]
        if input_file is not None:
            with open(input_file, "rb") as stdin:
                tool = subprocess.run(timed, stdin=stdin, env=env, capture_output=True)
        else:
            producer = subprocess.Popen(["head", "-c", str(size), "/dev/zero"], stdout=subprocess.PIPE)
            tool = subprocess.run(timed, stdin=producer.stdout, env=env, capture_output=True)
            producer.stdout.close()
            producer.wait()
        text = report.read()

    def field(name: str) -> str:
        match = re.search(rf"{re.escape(name)}: (.+)", text)
        return match.group(1).strip() if match else "0"

    wall_parts = [float(p) for p in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    wall = sum(p * 60 ** i for i, p in enumerate(reversed(wall_parts)))
    return {
        "ok": tool.returncode == 0,
        "wall": wall,
        "cpu": float(field("User time (seconds)")) + float(field("System time (seconds)")),
        "rss_mib": int(field("Maximum resident set size (kbytes)")) / 1024,
        "stderr": tool.stderr.decode(errors="replace")[-2000:],
    }


def tool_commands(front: S3Front, key: str) -> dict:
    endpoint, bucket = front.endpoint, front.bucket
    host = endpoint.split("//", 1)[1]
    # A missing tool is a setup error (scripts/install-test-deps.sh installs all three), not a
    # row to drop quietly.
    for tool in ("aws", "rclone", "s3cmd"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (hint: bash scripts/install-test-deps.sh)")
    commands = {"erp-backup put": [BINARY, "put", key]}
    commands["aws s3 cp -"] = ["aws", "--endpoint-url", endpoint, "s3", "cp", "-", f"s3://{bucket}/{key}"]
    commands["rclone rcat"] = ["rclone", "rcat", f"bench:{bucket}/{key}"]
    tls = ["--ssl", f"--ca-certs={front.tls_ca.ca_file}"] if front.tls_ca is not None else ["--no-ssl"]
    if front.tls_ca is not None:
        commands["rclone rcat"] += ["--ca-cert", front.tls_ca.ca_file]
    commands["s3cmd put -"] = ["s3cmd", *tls, f"--host={host}", f"--host-bucket={host}",
                              f"--access_key={front.access_key}", f"--secret_key={front.secret_key}",
                              f"--access_token={front.session_token or ''}", "--region=us-east-1",
                              "--no-check-md5", "-c", os.devnull, "put", "-", f"s3://{bucket}/{key}"]
    return commands


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("1GiB"))
    parser.add_argument("--backend", choices=("s3rver", "moto"), default="s3rver")
    parser.add_argument("--tools", default="erp,aws,rclone,s3cmd",
                        help="comma-separated subset of erp,aws,rclone,s3cmd")
    parser.add_argument("--max-erp-rss-mib", type=float, default=64.0)
    parser.add_argument("--https", action="store_true", help="TLS front with a throwaway CA")
    parser.add_argument("--input", help="a file every tool reads as its stdin (default: a pipe)")
    parser.add_argument("--runs", type=int, default=1, help="turns per tool; the median is shown")
    args = parser.parse_args()
    if args.input is not None:
        available = os.path.getsize(args.input)
        if "--size" not in sys.argv:
            args.size = available
        if args.size != available:
            raise SystemExit(f"--input {args.input} holds {available} bytes, not --size {args.size}")
    wanted = set(args.tools.split(","))
    prefixes = {"erp": "erp-backup", "aws": "aws", "rclone": "rclone", "s3cmd": "s3cmd"}

    runs = {}
    with S3Front(backend=args.backend, tls=args.https) as front:
        env = clean_env(front.env())
        env.update({  # rclone reads its remote from the environment
            "RCLONE_CONFIG_BENCH_TYPE": "s3", "RCLONE_CONFIG_BENCH_PROVIDER": "Other",
            "RCLONE_CONFIG_BENCH_ENDPOINT": front.endpoint, "RCLONE_CONFIG_BENCH_REGION": "us-east-1",
            "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": front.access_key,
            "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": front.secret_key,
            "RCLONE_CONFIG_BENCH_SESSION_TOKEN": front.session_token or "",
            "RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE": "true",
            "AWS_CONFIG_FILE": front.aws_config, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        })
        # rclone's S3 SDK would load AWS_CA_BUNDLE itself and then refuse rclone's own HTTP
        # transport ("LoadCustomCABundleError"); it gets the CA through --ca-cert instead.
        rclone_env = {k: v for k, v in env.items() if k != "AWS_CA_BUNDLE"}
        client = front.boto3_client()
        for _ in range(args.runs):
            for index, (name, command) in enumerate(tool_commands(front, "bench/object").items()):
                if not any(name.startswith(prefixes[w]) for w in wanted if w in prefixes):
                    continue
                key = f"bench/{index}-{name.split()[0]}"
                command = [part.replace("bench/object", key) for part in command]
                result = measure(command, args.size, rclone_env if name.startswith("rclone") else env,
                                 args.input)
                if result["ok"]:
                    stored = client.head_object(Bucket=front.bucket, Key=key)["ContentLength"]
                    result["ok"] = stored == args.size
                    if not result["ok"]:
                        result["stderr"] += f"\nstored {stored} bytes, expected {args.size}"
                runs.setdefault(name, []).append(result)
                client.delete_object(Bucket=front.bucket, Key=key)
    rows = []
    for name, results in runs.items():
        failed = [r for r in results if not r["ok"]]
        rows.append((name, failed[0] if failed else sorted(results, key=lambda r: r["cpu"])[len(results) // 2]))

    mib = args.size / (1 << 20)
    source = f"from {args.input}" if args.input else "from a pipe"
    scheme = "HTTPS" if args.https else "HTTP"
    print(f"\nstreaming {mib:.0f} MiB {source} into one object ({args.backend} behind the test front over "
          f"{scheme}, {os.cpu_count()} cores, median of {args.runs})\n")
    print(f"{'tool':<16} {'result':<6} {'wall s':>8} {'MiB/s':>8} {'CPU s':>8} {'CPU s/GiB':>10} {'peak RSS MiB':>13}")
    for name, r in rows:
        rate = mib / r["wall"] if r["wall"] else 0
        cpu_per_gib = r["cpu"] / (args.size / (1 << 30))
        print(f"{name:<16} {'ok' if r['ok'] else 'FAIL':<6} {r['wall']:>8.2f} {rate:>8.1f} {r['cpu']:>8.2f} "
              f"{cpu_per_gib:>10.2f} {r['rss_mib']:>13.1f}")
    for name, r in rows:
        if not r["ok"]:
            print(f"\n{name} failed:\n{r['stderr']}")

    erp = [r for name, r in rows if name.startswith("erp-backup")]
    if erp:
        if not erp[0]["ok"]:
            return 1
        verdict = "within" if erp[0]["rss_mib"] <= args.max_erp_rss_mib else "OVER"
        print(f"\nerp-backup peak RSS {erp[0]['rss_mib']:.1f} MiB: {verdict} the {args.max_erp_rss_mib:.0f} MiB bound")
        if verdict == "OVER":
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
