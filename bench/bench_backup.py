#!/usr/bin/env python3
"""Benchmark: `erp-backup backup` on a big database and documents tree, against the producers alone.

    python3 bench/bench_backup.py [--db-size 1GiB] [--docs-size 1GiB] [--backend s3rver|moto]
                                  [--max-db-rss-mib 80] [--max-full-rss-mib 160]
                                  [--env NAME=VALUE ...] [--upload-delay 0] [--repeat 1]

Starts a throwaway PostgreSQL and a real S3 server behind the signature-verifying test front (as
the tests do), generates a database whose `pg_dump -Fc` is at least --db-size (size-targeted mode:
incompressible payload rows, so the dump really is that big) and a documents tree of at least
--docs-size (half ~100 KiB documents, half 32 MiB archives, all incompressible, plus the fixture's
small tree), in a temp dir removed at the end. Then measures, each under /usr/bin/time -v:

- `erp-backup backup --only db`   bound: --max-db-rss-mib (the tool's own peak RSS)
- `erp-backup backup --only docs` (no bound; shows what the docs stream costs on its own)
- `erp-backup backup`             db and docs concurrently; bound: --max-full-rss-mib
- the producers alone on the same data: `pg_dump -Fc | cat >/dev/null`,
  `tar -cf - DIR | zstd -T2 | cat >/dev/null` (GNU tar skips reading the files when it writes to
  /dev/null itself, hence cat), and both at once.

Peak RSS: GNU time's "Maximum resident set size" is the rusage of the process it waited for, and
for a process that reaped children (erp-backup reaps pg_dump) the kernel reports the largest of it
and its waited-for descendants. So the tool's own figure comes from a poller that reads VmHWM (and
utime/stime) from /proc/<pid>/ of the erp-backup process itself every few milliseconds until it
exits; VmHWM is a high-water mark, so the last sample is the peak up to the last few milliseconds.
Both numbers are printed; the bounds apply to the tool's own VmHWM.

The S3 front (Python, re-hashing every body), s3rver and PostgreSQL share the machine's cores with
the tool, and other people's work may too: the table also shows the CPU the servers spent during each
run and the rest of the machine's busy CPU, so that noise can be told from overhead.

After each erp-backup run: exit status 0, a manifest with status complete, the expected streams,
and each stream's byte count equal to the stored object's size (boto3 head_object), else FAIL.

Prints a table. Exits 1 when a bound is exceeded or any run failed. Not a timed test.
--env NAME=VALUE (repeatable) adds settings to every erp-backup run, e.g. DOCS_ZSTD_THREADS=1.
DB_COMPRESSION and DB_ZSTD_LEVEL set in the environment are passed on the same way:
`DB_COMPRESSION=zstd python3 bench/bench_backup.py` measures pg_dump -Z0 + in-process zstd.
--upload-delay SECONDS makes the front hold every UploadPart answer that long (its `delay` fault):
a slow uplink, where both streams wait on S3 and keep all their part buffers filled, the worst
case for memory. Without it the local server is faster than pg_dump, so the db stream rarely holds
more than a part or two and the full run under-states what a slow link costs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

from docs_fixture import generate_documents_tree  # noqa: E402
from erp_cli import BINARY, clean_env  # noqa: E402
from erp_fixture import generate_erp_database  # noqa: E402
from postgres_server import PostgresServer  # noqa: E402
from s3_servers import S3Front  # noqa: E402

UNITS = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}
MiB = 1 << 20
DB_NAME = "erpbench"
# The fixture's dump estimate is "within a few percent": aim a little above the size asked for.
DB_TARGET_MARGIN = 1.04
POLL_SECONDS = 0.01


def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+)([a-zA-Z]*)", text)
    if not match or match.group(2).lower() not in UNITS:
        raise argparse.ArgumentTypeError(f"bad size {text!r} (e.g. 1GiB, 256MiB)")
    return int(match.group(1)) * UNITS[match.group(2).lower()]


def parse_assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not re.fullmatch(r"[A-Z_][A-Z0-9_]*", name):
        raise argparse.ArgumentTypeError(f"bad setting {text!r} (e.g. DOCS_ZSTD_THREADS=1)")
    return name, value


# -- measuring one process -------------------------------------------------------------------------
def _child_of(pid: int) -> int | None:
    """The (first) child of `pid`, or None while it has none."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = f.read().split()
        return int(children[0]) if children else None
    except OSError:
        pass
    for entry in os.listdir("/proc"):  # kernels without CONFIG_PROC_CHILDREN
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                return int(entry)
    return None


class OwnUsage(threading.Thread):
    """Polls /proc/<pid> of the process /usr/bin/time (pid `waiter`) runs, until it exits.

    Keeps the last VmHWM (a high-water mark: the last sample is the peak so far), the largest
    thread count, and the process's own user+sys CPU (utime/stime, children not included)."""

    def __init__(self, waiter: int, program: str):
        super().__init__(daemon=True)
        self.waiter, self.program = waiter, os.path.basename(program)[:15]
        self.hwm_kib = 0
        self.threads = 0
        self.cpu = 0.0
        self.samples = 0
        self.done = threading.Event()
        self.tick = os.sysconf("SC_CLK_TCK")

    def run(self) -> None:
        pid = None
        while pid is None and not self.done.is_set():
            pid = _child_of(self.waiter)
            if pid is None:
                time.sleep(POLL_SECONDS / 10)
        while pid is not None and not self.done.is_set():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read()
                with open(f"/proc/{pid}/status") as f:
                    status = f.read()
            except OSError:
                return  # gone (reaped)
            name, fields = stat.split("(", 1)[1].rsplit(")", 1)
            fields = fields.split()
            if fields[0] == "Z":
                return  # exited: its memory is gone, VmHWM with it
            if name != self.program:
                time.sleep(POLL_SECONDS / 10)  # still time's fork, not yet exec'd
                continue
            hwm = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
            threads = re.search(r"^Threads:\s+(\d+)", status, re.M)
            if hwm:
                self.hwm_kib = max(self.hwm_kib, int(hwm.group(1)))
            if threads:
                self.threads = max(self.threads, int(threads.group(1)))
            self.cpu = (int(fields[11]) + int(fields[12])) / self.tick  # utime, stime
            self.samples += 1
            time.sleep(POLL_SECONDS)


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return found


def tree_cpu(pid: int | None) -> float:
    """CPU seconds (user+sys) used so far by `pid` and its live descendants, reaped children
    included (cutime/cstime): differences of two calls give what a server spent in between."""
    if pid is None:
        return 0.0
    total, stack, tick = 0, [pid], os.sysconf("SC_CLK_TCK")
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        stack += _children(current)
    return total / tick


def machine_cpu() -> float:
    """Busy CPU seconds of the whole machine so far (every process, /proc/stat)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def measure(command: list[str], env: dict, *, own: bool, servers: dict[str, int | None]) -> dict:
    """Run `/usr/bin/time -v COMMAND` (stdout discarded) and parse time's report; with `own`,
    also poll the command's own process for VmHWM, threads and CPU. `servers`: name -> pid of a
    server process tree whose CPU during the run is reported (the S3 front and its backend,
    PostgreSQL), beside the whole machine's busy CPU (other people's work shows up there)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report, \
            tempfile.TemporaryFile() as stderr:
        servers_before = {name: tree_cpu(pid) for name, pid in servers.items()}
        machine_before = machine_cpu()
        proc = subprocess.Popen(["/usr/bin/time", "-v", "-o", report.name, *command], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
        poller = OwnUsage(proc.pid, command[0]) if own else None
        if poller:
            poller.start()
        proc.wait()
        machine = machine_cpu() - machine_before
        server_cpu = {name: tree_cpu(pid) - servers_before[name] for name, pid in servers.items()}
        if poller:
            poller.done.set()
            poller.join()
        text = report.read()
        stderr.seek(0)
        err = stderr.read().decode(errors="replace")

    def field(name: str) -> str:
        match = re.search(rf"{re.escape(name)}: (.+)", text)
        return match.group(1).strip() if match else "0"

    wall_parts = [float(p) for p in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    wall = sum(p * 60 ** i for i, p in enumerate(reversed(wall_parts)))
    result = {
        "ok": proc.returncode == 0,
        "returncode": proc.returncode,
        "wall": wall,
        "cpu": float(field("User time (seconds)")) + float(field("System time (seconds)")),
        "time_rss_mib": int(field("Maximum resident set size (kbytes)")) / 1024,
        "stderr": err[-3000:],
        "own": None,
        "servers": server_cpu,
        "machine_cpu": machine,
    }
    if poller:
        result["own"] = {"rss_mib": poller.hwm_kib / 1024, "cpu": poller.cpu, "threads": poller.threads,
                         "samples": poller.samples}
        if poller.samples == 0:
            result["ok"] = False
            result["stderr"] += "\nthe poller never saw the erp-backup process"
    return result


# -- checking what a backup stored -----------------------------------------------------------------
def check_backup(client, bucket: str, prefix: str, streams: tuple[str, ...]) -> tuple[bool, dict, str]:
    """(ok, {stream: bytes stored}, problem): one complete manifest naming `streams`, each stream's
    byte count equal to its object's size."""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    manifests = [k for k in keys if "/manifests/" in k]
    if len(manifests) != 1:
        return False, {}, f"expected one manifest under {prefix}, found {manifests}"
    manifest = json.loads(client.get_object(Bucket=bucket, Key=manifests[0])["Body"].read())
    problems, stored = [], {}
    if manifest.get("status") != "complete":
        problems.append(f"manifest status {manifest.get('status')!r}")
    if sorted(manifest.get("streams", {})) != sorted(streams):
        problems.append(f"manifest streams {sorted(manifest.get('streams', {}))}, expected {sorted(streams)}")
    for name, record in manifest.get("streams", {}).items():
        size = client.head_object(Bucket=bucket, Key=record["key"])["ContentLength"]
        stored[name] = size
        if size != record.get("bytes"):
            problems.append(f"{name}: manifest says {record.get('bytes')} bytes, object has {size}")
    return not problems, stored, "; ".join(problems)


def clear(client, bucket: str, prefix: str) -> None:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=obj["Key"])


# -- main -------------------------------------------------------------------------------------------
def best(results: list[dict]) -> dict:
    """Over repeats: the fastest run's times, the largest peaks, failed if any failed."""
    fastest = dict(min(results, key=lambda r: r["wall"]))
    fastest["ok"] = all(r["ok"] for r in results)
    fastest["time_rss_mib"] = max(r["time_rss_mib"] for r in results)
    if fastest["own"]:
        fastest["own"] = dict(fastest["own"], rss_mib=max(r["own"]["rss_mib"] for r in results),
                              threads=max(r["own"]["threads"] for r in results))
    failed = [r for r in results if not r["ok"]]
    if failed:
        fastest["stderr"] = failed[0]["stderr"]
    return fastest


def binary_build() -> str:
    """When the binary was built (others may rebuild it in a shared checkout mid-benchmark)."""
    stamp = os.stat(BINARY)
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(stamp.st_mtime)) + f", {stamp.st_size} bytes"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-size", type=parse_size, default=parse_size("1GiB"),
                        help="least size of the database's pg_dump -Fc")
    parser.add_argument("--docs-size", type=parse_size, default=parse_size("1GiB"),
                        help="least size of the documents tree")
    parser.add_argument("--backend", choices=("s3rver", "moto"), default="s3rver")
    parser.add_argument("--max-db-rss-mib", type=float, default=80.0)
    parser.add_argument("--max-full-rss-mib", type=float, default=160.0)
    parser.add_argument("--env", type=parse_assignment, action="append", default=[], metavar="NAME=VALUE",
                        help="an extra setting for every erp-backup run (repeatable)")
    parser.add_argument("--upload-delay", type=float, default=0.0, metavar="SECONDS",
                        help="hold every UploadPart answer this long (a slow uplink: all part buffers stay full)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each measurement N times; report the fastest wall and the largest peaks")
    args = parser.parse_args()
    # DB_COMPRESSION / DB_ZSTD_LEVEL from the caller's environment pass through (clean_env strips
    # every setting of the host), so `DB_COMPRESSION=zstd python3 bench/bench_backup.py` measures
    # the zstd mode; --env wins over them.
    extra_env = {name: os.environ[name] for name in ("DB_COMPRESSION", "DB_ZSTD_LEVEL") if os.environ.get(name)}
    extra_env.update(dict(args.env))

    workdir = tempfile.mkdtemp(prefix="erp-bench-backup-")
    rows: list[tuple[str, dict]] = []
    generation: dict = {}
    builds: set[str] = set()
    try:
        with PostgresServer() as pg, S3Front(backend=args.backend) as front:
            print(f"generating a database of >= {args.db_size / MiB:.0f} MiB of pg_dump -Fc ...", flush=True)
            started = time.monotonic()
            pg.create_database(DB_NAME)
            db_summary = generate_erp_database(pg, DB_NAME, scale="small",
                                               target_bytes=int(args.db_size * DB_TARGET_MARGIN))
            generation["db"] = time.monotonic() - started
            print(f"  {generation['db']:.0f} s (dump estimate {db_summary.get('dump_bytes_estimate', 0) / MiB:.0f} MiB, "
                  f"database {db_summary['database_bytes'] / MiB:.0f} MiB)", flush=True)

            print(f"generating a documents tree of >= {args.docs_size / MiB:.0f} MiB ...", flush=True)
            started = time.monotonic()
            docs = os.path.join(workdir, "documents")
            docs_summary = generate_documents_tree(docs, target_bytes=args.docs_size)
            generation["docs"] = time.monotonic() - started
            print(f"  {generation['docs']:.0f} s ({docs_summary['bytes'] / MiB:.0f} MiB in "
                  f"{docs_summary['unique_files']} files, {docs_summary['dirs']} dirs)", flush=True)

            pg_dump = pg.bin("pg_dump")
            pg_env = pg.client_env(DB_NAME)
            dump = f"'{pg_dump}' --format=custom --no-password | cat > /dev/null"
            archive = f"tar -cf - -C '{docs}' . | zstd -q -T2 | cat > /dev/null"
            producers = {
                "pg_dump": ["bash", "-c", f"set -o pipefail; {dump}"],
                "tar|zstd": ["bash", "-c", f"set -o pipefail; {archive}"],
                "both": ["bash", "-c", f"set -o pipefail; ({dump}) & a=$!; ({archive}) & b=$!; "
                                       f"wait $a; x=$?; wait $b; y=$?; exit $((x | y))"],
            }
            backups = {  # name: (argv, streams, producers run to compare with, bound)
                "backup --only db": (["--only", "db"], ("db",), "pg_dump", args.max_db_rss_mib),
                "backup --only docs": (["--only", "docs"], ("docs",), "tar|zstd", None),
                "backup (db+docs)": ([], ("db", "docs"), "both", args.max_full_rss_mib),
            }

            with open(os.path.join(pg.datadir, "postmaster.pid")) as f:
                servers = {"s3": front.proc.pid, "pg": int(f.readline())}
            if args.upload_delay > 0:  # only erp-backup's UploadPart requests: reads and deletes are not held
                front.set_faults([{"method": "PUT", "query_contains": "partNumber=", "times": -1,
                                   "action": "delay", "seconds": args.upload_delay}])
            client = front.boto3_client()
            produced: dict[str, dict] = {}
            for index, (name, (argv, streams, producer, bound)) in enumerate(backups.items()):
                print(f"measuring producers alone: {producer} ...", flush=True)
                produced[producer] = best([measure(producers[producer], pg_env, own=False, servers=servers)
                                           for _ in range(args.repeat)])
                rows.append((f"producers: {producer}", {**produced[producer], "kind": "producer"}))
                print(f"measuring erp-backup {' '.join(['backup', *argv])} ...", flush=True)
                env_name = f"bench{index}"
                prefix = f"erp/{env_name}/"
                env = clean_env({**front.env(), **pg.env(DB_NAME), "BACKUP_ENV": env_name, "DOCUMENTS_DIR": docs,
                                 "PG_DUMP": pg_dump, "PRUNE_AFTER_BACKUP": "false", **extra_env})
                results = []
                for _ in range(args.repeat):
                    builds.add(binary_build())
                    result = measure([BINARY, "backup", *argv], env, own=True, servers=servers)
                    result["stored"] = {}
                    if result["ok"]:
                        ok, stored, problem = check_backup(client, front.bucket, prefix, streams)
                        result.update(ok=ok, stored=stored)
                        if not ok:
                            result["stderr"] += f"\n{problem}"
                    elif result["returncode"] != 0:
                        result["stderr"] += f"\nexit status {result['returncode']}"
                    clear(client, front.bucket, prefix)
                    results.append(result)
                row = best(results)
                row.update(kind="backup", producer=producer, bound=bound, stored=results[0]["stored"])
                rows.append((f"erp-backup {name}", row))
    finally:
        subprocess.run(["chmod", "-R", "u+rwx", workdir])
        shutil.rmtree(workdir, ignore_errors=True)

    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    print(f"\nerp-backup backup: pg_dump -Fc >= {args.db_size / MiB:.0f} MiB, documents >= {args.docs_size / MiB:.0f} MiB, "
          f"{args.backend} behind the test front, {os.cpu_count()} cores"
          + (f", every UploadPart answer held {args.upload_delay:g} s" if args.upload_delay > 0 else ""))
    print(f"binary {os.path.abspath(BINARY)} (built {'; '.join(sorted(builds))}; checkout now at {head.stdout.strip() or '?'})"
          + (f"; extra env: {' '.join(f'{k}={v}' for k, v in extra_env.items())}" if extra_env else "; default settings"))
    print(f"generation: database {generation['db']:.0f} s, documents {generation['docs']:.0f} s"
          + (f" ({args.repeat} runs of each measurement: fastest wall, largest peaks)" if args.repeat > 1 else "")
          + "\n")
    header = (f"{'run':<29} {'result':<6} {'wall s':>7} {'CPU s':>7} {'tool CPU':>8} {'tool RSS':>8} "
              f"{'time RSS':>8} {'thr':>3} {'S3 srv':>6} {'PG srv':>6} {'other':>6} "
              f"{'stored MiB':>10} {'prod. wall':>10} {'overhead s':>10}")
    print(header)
    for name, r in rows:
        own = r["own"]
        if r["kind"] == "backup":
            prod = next(p for n, p in rows if n == f"producers: {r['producer']}")
            stored = sum(r["stored"].values()) / MiB
            tail = f"{stored:>10.1f} {prod['wall']:>10.2f} {r['wall'] - prod['wall']:>+10.2f}"
        else:
            tail = f"{'-':>10} {'-':>10} {'-':>10}"
        own_cpu, own_rss, threads = (f"{own['cpu']:.2f}", f"{own['rss_mib']:.1f}", own["threads"]) if own else "---"
        s3, pg = r["servers"]["s3"], r["servers"]["pg"]
        other = r["machine_cpu"] - r["cpu"] - s3 - pg
        print(f"{name:<29} {'ok' if r['ok'] else 'FAIL':<6} {r['wall']:>7.2f} {r['cpu']:>7.2f} {own_cpu:>8} "
              f"{own_rss:>8} {r['time_rss_mib']:>8.1f} {threads:>3} {s3:>6.1f} {pg:>6.1f} {other:>6.1f} {tail}")
    print("\nwall s, CPU s (user+sys) and time RSS (MiB) are /usr/bin/time's, over the process tree it waited for"
          " (pg_dump included).\ntool CPU (s), tool RSS (MiB, VmHWM) and thr (most threads seen) are the erp-backup"
          " process's own, polled from /proc.\nS3 srv, PG srv: CPU seconds the S3 front + s3rver and the PostgreSQL"
          " server spent during the run; other: the rest of the\nmachine's busy CPU in that time (other users, this"
          " script). overhead: backup wall - producers-alone wall.")
    if len(builds) > 1:
        print("WARNING: the binary was rebuilt during the benchmark: the runs above used different builds")
    sizes = {k: v for _, r in rows if r["kind"] == "backup" for k, v in r["stored"].items()}
    if "db" in sizes and sizes["db"] < args.db_size:
        print(f"note: the dump is {sizes['db'] / MiB:.0f} MiB, less than the {args.db_size / MiB:.0f} MiB asked for")
    print()

    status = 0
    for name, r in rows:
        if not r["ok"]:
            print(f"\n{name} failed:\n{r['stderr']}")
            status = 1
    for name, r in rows:
        if r["kind"] == "backup" and r["bound"] is not None and r["own"] and r["own"]["samples"]:
            rss = r["own"]["rss_mib"]
            verdict = "within" if rss <= r["bound"] else "OVER"
            print(f"{name}: tool peak RSS {rss:.1f} MiB, {verdict} the {r['bound']:.0f} MiB bound")
            if verdict == "OVER":
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
