#!/usr/bin/env python3
"""The benchmark: erp-backup against the usual tools, same data, same server, one run (issue 11).

    python3 bench/bench.py [--only put,docs,db,restore,verify] [--runs 3] [--size 1GiB]
                           [--data-dir /var/tmp/erp-bench] [--quick] [--out bench/results/latest.md]

Data (bench/bench_data.py, built once and cached under --data-dir, outside git): a --size stream
of incompressible bytes, a Dolibarr-like documents tree (>= 20,000 files, >= 1.5 GiB: PDFs of
10-200 KiB partly compressible, notes, multi-MiB scans) and the ERP database of
tests/fixtures/erp_fixture.py scaled until its `pg_dump -Fc` is >= 200 MiB (restored from the
cached dump into a throwaway PostgreSQL every run). --quick: 64 MiB / ~1,000 files / ~12 MiB.

Servers, as the tests start them: s3rver behind the signature-verifying front over plain HTTP,
and a second front on the same s3rver serving HTTPS with a throwaway CA (`S3Front(tls=True)`),
which every tool is told to trust: aws `AWS_CA_BUNDLE`, rclone `--ca-cert`, s3cmd `--ca-certs`,
erp-backup `AWS_CA_BUNDLE`.

Rows, per group (each group alternates its rows within every run; the figure is the median of
--runs runs):
- put http / put https: `erp-backup put`, `aws s3 cp -`, `s3cmd put -`, `rclone rcat`, each
  reading the stream file on stdin; and a floor row that sends nothing: `openssl dgst -sha256`
  (http: reading plus the payload SHA-256 SPEC requires) or `openssl enc -aes-256-ctr` (https:
  reading plus AES-CTR, the cheaper half of TLS's AES-GCM): what any client must spend before a
  byte reaches the socket;
- docs: `erp-backup backup --only docs`, `tar -cf - DIR | zstd -3 -T2 | aws s3 cp -`;
- db: `erp-backup backup --only db` (and with DB_COMPRESSION=zstd, and with BACKUP_ROW_COUNTS=off:
  what the default exact row counts cost), `pg_dump -Fc | aws s3 cp -`, `pg_dump -Fc > /dev/null`;
- restore: `erp-backup restore db` (and of the zstd set), `aws s3 cp - | pg_restore`, `pg_restore`
  from a local file, each into a fresh database; `erp-backup restore db --jobs 2` (downloaded into
  DATA_DIR/restore-scratch, checked empty after) against `pg_restore -j2` from the local file;
  `erp-backup drill` of the same set, streamed and with --jobs 2 (its own PostgreSQL in
  DATA_DIR/drill-work, as the PostgreSQL user: initdb, restore, row counts, evidence, cleanup);
- verify: `erp-backup verify` of a set holding the db and docs streams (throughput of stored bytes);
- full: `erp-backup backup` (db and docs streams at once), for its memory bound (issue 2/3: peak
  RSS <= 160 MiB); with --upload-delay S the front holds every UploadPart answer S seconds during
  this group only (a slow uplink: every part buffer stays full, the memory worst case).

- micro: `micro_bench` (bench/micro_bench.cc, built next to the erp-backup binary) when it exists:
  SigV4 signing and the part pipeline into a null transport; its output goes under the table and
  its payload-signing-off pipeline rate is checked against the issue's 2 GiB/s.

--env NAME=VALUE (repeatable) adds a setting to every erp-backup run (e.g. DOCS_ZSTD_THREADS=1).

How it measures: every row runs under `/usr/bin/time -f ...` (GNU time), the pipelines as
`sh -c '...'`. time reports the rusage wait4() returns for its child, which on Linux covers the
child and every descendant it waited for: CPU s is user+sys of the whole process tree (tar, zstd
and aws of a pipeline; pg_dump under erp-backup or in the shell pipeline; pg_restore likewise),
and peak RSS is the largest single process of that tree (ru_maxrss of a tree is a max, not a sum).
The S3 front, s3rver and PostgreSQL are separate process trees: their CPU is not counted. CPU s/GiB
divides by the group's input bytes (stream, documents tree content, dump size). Ratios are to the
group's aws row (put: aws s3 cp -; docs: the tar | zstd | aws pipeline; db: pg_dump | aws; restore:
aws | pg_restore).

Every run is checked: exit status 0, the object's size (put), a complete manifest with the
expected streams (backups), the restored table count (restores). The table goes to stdout and to
--out with the machine (nproc, CPU model, kernel, date, commit), then the issue's targets,
PASS/FAIL each. Exit 1 if any run failed or any target failed, after printing everything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pwd
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# tests/harness and tests/fixtures (ctest sets PYTHONPATH; this script also runs by hand).
sys.path[1:1] = [os.path.join(ROOT, "tests", d) for d in ("harness", "fixtures")]

import bench_data  # noqa: E402
from erp_cli import BINARY, clean_env  # noqa: E402
from postgres_server import PostgresServer  # noqa: E402
from s3_servers import S3Front  # noqa: E402

UNITS = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}
MiB, GiB = 1 << 20, 1 << 30
GROUPS = ("put", "docs", "db", "restore", "verify", "full", "micro")
TIME = "/usr/bin/time"
DB = "erpbench"


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


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- measuring a process tree ----------------------------------------------------------------------
def measure(argv: list[str], env: dict, stdin_path: str | None = None) -> dict:
    """Run ARGV under GNU time: wall, CPU (user+sys) and peak RSS of the tree it waits for."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report, tempfile.TemporaryFile() as err:
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        try:
            started = time.monotonic()
            proc = subprocess.run([TIME, "-f", "%U %S %M", "-o", report.name, *argv], env=env,
                                  stdin=stdin, stdout=subprocess.DEVNULL, stderr=err)
            wall = time.monotonic() - started
        finally:
            if stdin_path:
                stdin.close()
        fields = report.read().split()
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    # On a non-zero exit GNU time writes "Command exited with non-zero status N" first.
    user, system, rss_kib = (float(v) for v in fields[-3:]) if len(fields) >= 3 else (0.0, 0.0, 0.0)
    return {"ok": proc.returncode == 0, "wall": wall, "cpu": user + system, "rss_mib": rss_kib / 1024,
            "error": "" if proc.returncode == 0 else f"exit {proc.returncode}: {stderr[-1500:]}"}


def pipefail(script: str) -> list[str]:
    # dash has no pipefail: bash, so a failing producer fails the row.
    return ["bash", "-c", f"set -eo pipefail; {script}"]


# -- checks on what a run stored -------------------------------------------------------------------
def list_keys(client, bucket: str, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def clear(client, bucket: str, prefix: str) -> None:
    for key in list_keys(client, bucket, prefix):
        client.delete_object(Bucket=bucket, Key=key)


def check_backup(client, bucket: str, prefix: str, streams: tuple[str, ...]) -> str:
    """'' when `prefix` holds one complete manifest naming `streams`, each object the manifest's
    size; else what is wrong."""
    manifests = [k for k in list_keys(client, bucket, prefix) if "/manifests/" in k]
    if len(manifests) != 1:
        return f"expected one manifest under {prefix}, found {manifests}"
    manifest = json.loads(client.get_object(Bucket=bucket, Key=manifests[0])["Body"].read())
    problems = []
    if manifest.get("status") != "complete":
        problems.append(f"manifest status {manifest.get('status')!r}")
    if sorted(manifest.get("streams", {})) != sorted(streams):
        problems.append(f"manifest streams {sorted(manifest.get('streams', {}))}, expected {sorted(streams)}")
    for name, record in manifest.get("streams", {}).items():
        size = client.head_object(Bucket=bucket, Key=record["key"])["ContentLength"]
        if size != record.get("bytes"):
            problems.append(f"{name}: manifest says {record.get('bytes')} bytes, object has {size}")
    return "; ".join(problems)


def stored_bytes(client, bucket: str, prefix: str) -> int:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sum(o["Size"] for page in pages for o in page.get("Contents", []) if "/manifests/" not in o["Key"])


# -- a row -----------------------------------------------------------------------------------------
class Row:
    """One line of the table: how to run it once (`run(i)` -> measure() result with checks
    applied), its group, the bytes its CPU/GiB is per, and whether it is the group's aws reference."""

    def __init__(self, group: str, name: str, run, basis: int, reference: bool = False, erp: bool = False,
                 floor: bool = False):
        self.group, self.name, self.run, self.basis = group, name, run, basis
        # floor: not a client but the local work every client of the group must do (no target).
        self.reference, self.erp, self.floor = reference, erp, floor
        self.results: list[dict] = []
        self.note = ""

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r["ok"] for r in self.results)

    def median(self, field: str) -> float:
        return statistics.median(r[field] for r in self.results)

    def peak(self) -> float:
        return max(r["rss_mib"] for r in self.results)


# -- the machine -----------------------------------------------------------------------------------
def machine_line() -> str:
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        pass
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    load = os.getloadavg()
    return (f"nproc {os.cpu_count()}, {model}, Linux {platform.release()}, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {head.stdout.strip() or '?'}"
            f"{' (modified)' if dirty else ''}, load average at start {load[0]:.1f}")


# -- main ------------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(GROUPS),
                        help=f"comma-separated groups to run (of {','.join(GROUPS)})")
    parser.add_argument("--runs", type=int, default=3, help="runs per row; the table shows medians (default 3)")
    parser.add_argument("--size", type=parse_size, default=None, help="the raw stream's size (default 1GiB, --quick 64MiB)")
    parser.add_argument("--data-dir", default=os.environ.get("ERP_BENCH_DATA", "/var/tmp/erp-bench"),
                        help="where the generated data is cached (default /var/tmp/erp-bench)")
    parser.add_argument("--quick", action="store_true", help="small data: a smoke run, not a measurement")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "latest.md"),
                        help="where the table is written (default bench/results/latest.md)")
    parser.add_argument("--env", type=parse_assignment, action="append", default=[], metavar="NAME=VALUE",
                        help="an extra setting for every erp-backup run (repeatable)")
    parser.add_argument("--upload-delay", type=float, default=0.0, metavar="SECONDS",
                        help="in the full group, hold every UploadPart answer this long (a slow uplink)")
    args = parser.parse_args()
    extra_env = dict(args.env)
    only = [g for g in args.only.split(",") if g]
    unknown = [g for g in only if g not in GROUPS]
    if unknown or args.runs < 1:
        parser.error(f"unknown group(s) {unknown} (of {','.join(GROUPS)})" if unknown else "--runs must be >= 1")
    scale = "quick" if args.quick else "full"
    size = args.size or (64 * MiB if args.quick else GiB)
    for tool in ("aws", "rclone", "s3cmd", "tar", "zstd", "bash"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (hint: bash scripts/install-test-deps.sh)")
    if not os.access(TIME, os.X_OK):
        raise SystemExit(f"{TIME} is missing (hint: apt-get install time)")
    if not os.access(BINARY, os.X_OK):
        raise SystemExit(f"no erp-backup binary at {BINARY} (build it, or set ERP_BACKUP_BIN)")
    os.makedirs(args.data_dir, exist_ok=True)
    machine = machine_line()
    bench_started = time.monotonic()

    log(f"data in {args.data_dir} ({scale}) ...")
    stream = bench_data.stream_file(args.data_dir, size) if "put" in only else None
    docs, docs_summary = bench_data.docs_tree(args.data_dir, scale) if {"docs", "verify", "full"} & set(only) else (None, None)

    rows: list[Row] = []
    notes: list[str] = []
    with PostgresServer() as pg, S3Front(backend="s3rver") as http, \
            S3Front(backend="s3rver", tls=True, share_backend_with=http) as https:
        dump_file = None
        if {"db", "restore", "verify", "full"} & set(only):
            dump_file = bench_data.db_dump(args.data_dir, scale, pg, log)
            log("restoring the cached dump into the bench database ...")
            bench_data.restore_dump(pg, DB, dump_file)
        dump_size = os.path.getsize(dump_file) if dump_file else 0
        pg_dump, pg_restore = pg.bin("pg_dump"), pg.bin("pg_restore")
        client = http.boto3_client()
        bucket = http.bucket

        def aws_env(front: S3Front) -> dict:
            return clean_env({**front.env(), **pg.env(DB), "AWS_CONFIG_FILE": front.aws_config,
                              "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true",
                              "AWS_PAGER": "", "AWS_DEFAULT_REGION": front.region})

        def aws(front: S3Front) -> str:
            return f"aws --endpoint-url {front.endpoint}"

        def erp_env(front: S3Front, env_name: str, **extra) -> dict:
            return clean_env({**front.env(), **pg.env(DB), "BACKUP_ENV": env_name, "PG_DUMP": pg_dump,
                              "PG_RESTORE": pg_restore, "PRUNE_AFTER_BACKUP": "false",
                              **({"DOCUMENTS_DIR": docs} if docs else {}), **extra_env, **extra})

        # -- put ------------------------------------------------------------------------------------
        if "put" in only:
            for proto, front in (("http", http), ("https", https)):
                host = front.endpoint.split("//", 1)[1]
                remote = f"bench{proto}"
                env = aws_env(front)
                env.update({f"RCLONE_CONFIG_{remote.upper()}_{k}": v for k, v in {
                    "TYPE": "s3", "PROVIDER": "Other", "ENDPOINT": front.endpoint, "REGION": front.region,
                    "ACCESS_KEY_ID": front.access_key, "SECRET_ACCESS_KEY": front.secret_key,
                    "SESSION_TOKEN": front.session_token or "", "FORCE_PATH_STYLE": "true"}.items()})
                tls_s3cmd = ["--ssl", f"--ca-certs={front.tls_ca.ca_file}"] if front.tls_ca else ["--no-ssl"]
                tls_rclone = ["--ca-cert", front.tls_ca.ca_file] if front.tls_ca else []
                fb = front.bucket
                tools = {
                    "erp-backup put": lambda key: [BINARY, "put", key],
                    "aws s3 cp -": lambda key, front=front, fb=fb: [*shlex.split(aws(front)), "s3", "cp", "-", f"s3://{fb}/{key}"],
                    "s3cmd put -": lambda key, front=front, fb=fb, host=host, t=tls_s3cmd: [
                        "s3cmd", *t, f"--host={host}", f"--host-bucket={host}", f"--access_key={front.access_key}",
                        f"--secret_key={front.secret_key}", f"--access_token={front.session_token or ''}",
                        "--region=us-east-1", "--no-check-md5", "--no-progress", "-c", os.devnull,
                        "put", "-", f"s3://{fb}/{key}"],
                    "rclone rcat": lambda key, fb=fb, remote=remote, t=tls_rclone: ["rclone", *t, "rcat", f"{remote}:{fb}/{key}"],
                }
                for name, argv_of in tools.items():
                    def run(i, name=name, argv_of=argv_of, env=env, front=front, proto=proto):
                        key = f"bench/put-{proto}/{name.split()[0]}-{i}"
                        run_env = erp_env(front, "bench-put") if name.startswith("erp") else env
                        if name.startswith("rclone"):  # rclone's AWS SDK fails on AWS_CA_BUNDLE; it has --ca-cert
                            run_env = {k: v for k, v in run_env.items() if k != "AWS_CA_BUNDLE"}
                        result = measure(argv_of(key), run_env, stdin_path=stream)
                        c = front.boto3_client()
                        if result["ok"]:
                            got = c.head_object(Bucket=front.bucket, Key=key)["ContentLength"]
                            if got != size:
                                result.update(ok=False, error=f"stored {got} bytes, expected {size}")
                        clear(c, front.bucket, key)
                        return result
                    rows.append(Row(f"put {proto}", f"{name} ({proto})", run, size,
                                    reference=name.startswith("aws"), erp=name.startswith("erp")))
                # The floor of any client on this machine, sending nothing: reading the stream and
                # what the protocol makes every byte cost (SPEC: over HTTP the body's SHA-256; over
                # HTTPS TLS encryption, AES-CTR standing in for AES-GCM, of which it is the cheaper half).
                floor = (["openssl", "dgst", "-sha256"] if proto == "http" else
                         ["openssl", "enc", "-aes-256-ctr", "-K", "42" * 32, "-iv", "17" * 16, "-bufsize", str(MiB)])
                rows.append(Row(f"put {proto}", f"floor: {' '.join(floor[:3])} ({proto}; sends nothing)",
                                lambda i, argv=floor: measure(argv, clean_env({}), stdin_path=stream), size, floor=True))

        # -- docs -----------------------------------------------------------------------------------
        if "docs" in only:
            def erp_docs(i):
                env_name = f"bench-docs-{i}"
                result = measure([BINARY, "backup", "--only", "docs"], erp_env(http, env_name))
                if result["ok"]:
                    problem = check_backup(client, bucket, f"erp/{env_name}/", ("docs",))
                    if problem:
                        result.update(ok=False, error=problem)
                clear(client, bucket, f"erp/{env_name}/")
                return result

            def tar_docs(i):
                key = f"bench/docs-tar-{i}.tar.zst"
                result = measure(pipefail(f"tar -cf - -C {shlex.quote(docs)} . | zstd -q -3 -T2 | "
                                          f"{aws(http)} s3 cp - s3://{bucket}/{key}"), aws_env(http))
                if result["ok"] and client.head_object(Bucket=bucket, Key=key)["ContentLength"] == 0:
                    result.update(ok=False, error="empty object")
                clear(client, bucket, key)
                return result

            rows.append(Row("docs", "erp-backup backup --only docs", erp_docs, docs_summary["bytes"], erp=True))
            rows.append(Row("docs", "tar | zstd -3 -T2 | aws s3 cp -", tar_docs, docs_summary["bytes"], reference=True))

        # -- db -------------------------------------------------------------------------------------
        zstd_ok = True
        if {"db", "restore"} & set(only):
            # Does this binary know DB_COMPRESSION=zstd? (the dbzstd work adds it)
            probe = subprocess.run([BINARY, "backup", "--only", "db"], capture_output=True,
                                   env=erp_env(http, "bench-zstd-src", DB_COMPRESSION="zstd"))
            keys = list_keys(client, bucket, "erp/bench-zstd-src/")
            clear(client, bucket, "erp/bench-zstd-src/")
            if probe.returncode != 0:
                zstd_ok = False
                notes.append("DB_COMPRESSION=zstd rows skipped: this binary refused the setting "
                             f"(exit {probe.returncode}: {probe.stderr.decode(errors='replace').strip()[-300:]})")
            elif not any(k.endswith(".zst") and "/db/" in k for k in keys):
                zstd_ok = False
                notes.append("DB_COMPRESSION=zstd rows skipped: this binary ignores the setting "
                             "(its backup stored no db/<ID>.dump.zst)")
            if not zstd_ok:
                log(notes[-1])

        if "db" in only:
            def erp_db(i, extra=None):
                env_name = f"bench-db-{i}" + "".join(f"-{v}" for v in (extra or {}).values())
                result = measure([BINARY, "backup", "--only", "db"], erp_env(http, env_name, **(extra or {})))
                if result["ok"]:
                    problem = check_backup(client, bucket, f"erp/{env_name}/", ("db",))
                    if problem:
                        result.update(ok=False, error=problem)
                clear(client, bucket, f"erp/{env_name}/")
                return result

            def aws_db(i):
                key = f"bench/db-aws-{i}.dump"
                result = measure(pipefail(f"{shlex.quote(pg_dump)} -Fc -w | {aws(http)} s3 cp - s3://{bucket}/{key}"),
                                 aws_env(http))
                clear(client, bucket, key)
                return result

            rows.append(Row("db", "erp-backup backup --only db", erp_db, dump_size, erp=True))
            if zstd_ok:
                rows.append(Row("db", "erp-backup backup --only db (DB_COMPRESSION=zstd)",
                                lambda i: erp_db(i, {"DB_COMPRESSION": "zstd"}), dump_size, erp=True))
            # What exact row counts (the default, issue 21) cost: the same backup without them.
            rows.append(Row("db", "erp-backup backup --only db (BACKUP_ROW_COUNTS=off)",
                            lambda i: erp_db(i, {"BACKUP_ROW_COUNTS": "off"}), dump_size, erp=True))
            rows.append(Row("db", "pg_dump -Fc | aws s3 cp -", aws_db, dump_size, reference=True))
            rows.append(Row("db", "pg_dump -Fc > /dev/null",
                            lambda i: measure(pipefail(f"{shlex.quote(pg_dump)} -Fc -w > /dev/null"), aws_env(http)),
                            dump_size))

        # -- restore --------------------------------------------------------------------------------
        if "restore" in only:
            log("making the sets the restore rows read ...")
            sources = {"": {}}
            if zstd_ok:
                sources["-zstd"] = {"DB_COMPRESSION": "zstd"}
            for suffix, extra in sources.items():
                made = subprocess.run([BINARY, "backup", "--only", "db"], capture_output=True,
                                      env=erp_env(http, f"bench-restore-src{suffix}", **extra))
                if made.returncode != 0:
                    raise RuntimeError(f"backup for the restore rows failed: {made.stderr.decode(errors='replace')[-2000:]}")
            dump_key = "bench/restore-src.dump"
            client.upload_file(dump_file, bucket, dump_key)
            table_count = int(pg.scalar(DB, "select count(*) from pg_tables where tablename like 'llx\\_%'"))

            def restored(target: str, result: dict) -> dict:
                if result["ok"]:
                    got = int(pg.scalar(target, "select count(*) from pg_tables where tablename like 'llx\\_%'"))
                    if got != table_count:
                        result.update(ok=False, error=f"restored {got} llx_ tables, expected {table_count}")
                pg.drop_database(target)
                return result

            scratch = os.path.join(args.data_dir, "restore-scratch")  # --jobs: the dump's copy, never left
            os.makedirs(scratch, exist_ok=True)

            def erp_restore(i, suffix="", jobs=1):
                target = f"bench_restore_erp{suffix.replace('-', '_')}_j{jobs}_{i}"
                pg.create_database(target)
                env = erp_env(http, f"bench-restore-src{suffix}", RESTORE_PGHOST=pg.host, RESTORE_PGPORT=str(pg.port),
                              RESTORE_PGDATABASE=target, RESTORE_PGUSER=pg.superuser, RESTORE_PGPASSWORD=pg.password,
                              RESTORE_SCRATCH_DIR=scratch)
                for name in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"):
                    env.pop(name, None)  # a restore reads RESTORE_PG* only
                result = restored(target, measure([BINARY, "restore", "db", "latest",
                                                   *(["--jobs", str(jobs)] if jobs > 1 else [])], env))
                if result["ok"] and os.listdir(scratch):
                    result.update(ok=False, error=f"{scratch} is not empty after the restore: {os.listdir(scratch)}")
                return result

            def aws_restore(i):
                target = f"bench_restore_aws_{i}"
                pg.create_database(target)
                env = {**aws_env(http), **pg.env(target)}
                return restored(target, measure(pipefail(
                    f"{aws(http)} s3 cp s3://{bucket}/{dump_key} - | {shlex.quote(pg_restore)} --no-owner -w -d {target}"), env))

            def local_restore(i, jobs=1):
                target = f"bench_restore_local_j{jobs}_{i}"
                pg.create_database(target)
                parallel = [f"--jobs={jobs}"] if jobs > 1 else []
                return restored(target, measure([pg_restore, "--no-owner", "-w", *parallel, "-d", target, dump_file],
                                                {**aws_env(http), **pg.env(target)}))

            rows.append(Row("restore", "erp-backup restore db", erp_restore, dump_size, erp=True))
            if zstd_ok:
                rows.append(Row("restore", "erp-backup restore db (DB_COMPRESSION=zstd)",
                                lambda i: erp_restore(i, "-zstd"), dump_size, erp=True))
            rows.append(Row("restore", "aws s3 cp - | pg_restore", aws_restore, dump_size, reference=True))
            rows.append(Row("restore", "pg_restore < local file", local_restore, dump_size))
            # Issue 21: the parallel restore against pg_restore -j2 from a local copy of the dump.
            rows.append(Row("restore", "erp-backup restore db --jobs 2", lambda i: erp_restore(i, jobs=2), dump_size,
                            erp=True))
            rows.append(Row("restore", "pg_restore -j2 local file", lambda i: local_restore(i, jobs=2), dump_size))

            # The drill of the same set: initdb of its own PostgreSQL, the restore, the row counts
            # compared, evidence written, the cluster removed. PostgreSQL refuses root, so it runs
            # as the unprivileged user the test server runs as, in a work dir that user owns.
            runner = pwd.getpwnam(os.environ.get("ERP_TEST_PG_USER") or "postgres")
            drill_dir = os.path.join(args.data_dir, "drill-work")

            def erp_drill(i, jobs=1):
                shutil.rmtree(drill_dir, ignore_errors=True)
                os.makedirs(drill_dir)
                os.chown(drill_dir, runner.pw_uid, runner.pw_gid)
                env = erp_env(http, "bench-restore-src", DRILL_WORK_DIR=drill_dir, RESTORE_SCRATCH_DIR=drill_dir,
                              DRILL_PG_BINDIR=os.path.dirname(pg_restore), HOME=drill_dir)
                for name in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"):
                    env.pop(name, None)
                argv = ["setpriv", f"--reuid={runner.pw_uid}", f"--regid={runner.pw_gid}", "--clear-groups",
                        BINARY, "drill", "latest", *(["--jobs", str(jobs)] if jobs > 1 else [])]
                result = measure(argv, env)
                if result["ok"] and os.listdir(drill_dir):
                    result.update(ok=False, error=f"{drill_dir} is not empty after the drill: {os.listdir(drill_dir)}")
                return result

            rows.append(Row("restore", "erp-backup drill (own PostgreSQL, counts checked)", erp_drill, dump_size,
                            erp=True))
            rows.append(Row("restore", "erp-backup drill --jobs 2", lambda i: erp_drill(i, jobs=2), dump_size,
                            erp=True))

        # -- verify ---------------------------------------------------------------------------------
        verify_bytes = 0
        if "verify" in only:
            log("making the set verify reads (db + docs) ...")
            made = subprocess.run([BINARY, "backup"], capture_output=True, env=erp_env(http, "bench-verify"))
            if made.returncode != 0:
                raise RuntimeError(f"backup for the verify row failed: {made.stderr.decode(errors='replace')[-2000:]}")
            verify_bytes = stored_bytes(client, bucket, "erp/bench-verify/")
            rows.append(Row("verify", "erp-backup verify (db + docs set)",
                            lambda i: measure([BINARY, "verify", "latest"], erp_env(http, "bench-verify")),
                            verify_bytes, erp=True))

        # -- full -----------------------------------------------------------------------------------
        if "full" in only:
            def erp_full(i):
                env_name = f"bench-full-{i}"
                result = measure([BINARY, "backup"], erp_env(http, env_name))
                if result["ok"]:
                    problem = check_backup(client, bucket, f"erp/{env_name}/", ("db", "docs"))
                    if problem:
                        result.update(ok=False, error=problem)
                clear(client, bucket, f"erp/{env_name}/")
                return result

            label = f", every UploadPart held {args.upload_delay:g} s" if args.upload_delay > 0 else ""
            rows.append(Row("full", f"erp-backup backup (db + docs{label})", erp_full,
                            dump_size + docs_summary["bytes"], erp=True))

        # -- run: per group, alternate the rows within each run -------------------------------------
        for group in dict.fromkeys(r.group for r in rows):
            members = [r for r in rows if r.group == group]
            if group == "full" and args.upload_delay > 0:  # erp-backup's UploadParts only run in this group
                http.set_faults([{"method": "PUT", "query_contains": "partNumber=", "times": -1,
                                  "action": "delay", "seconds": args.upload_delay}])
            for i in range(args.runs):
                for row in (members if i % 2 == 0 else list(reversed(members))):
                    log(f"[{group}] run {i + 1}/{args.runs}: {row.name} ...")
                    result = row.run(i)
                    row.results.append(result)
                    if not result["ok"]:
                        log(f"  FAILED: {result['error'][-500:]}")
            if group == "full" and args.upload_delay > 0:
                http.set_faults([])
        http.assert_clean("after the benchmark")
        https.assert_clean("after the benchmark")

    counted = next((r for r in rows if r.name == "erp-backup backup --only db" and r.results), None)
    uncounted = next((r for r in rows if r.name.endswith("(BACKUP_ROW_COUNTS=off)") and r.results), None)
    if counted and uncounted:
        notes.append(f"exact row counts (BACKUP_ROW_COUNTS=exact, the default, against off): "
                     f"{counted.median('wall') - uncounted.median('wall'):+.2f} s wall of the db backup "
                     f"({counted.median('wall'):.2f} against {uncounted.median('wall'):.2f} s); the count(*) "
                     "themselves run in the PostgreSQL server, whose CPU the table does not include")

    # -- micro_bench (no servers) ----------------------------------------------------------------
    micro_rate = None
    if "micro" in only:
        micro = os.path.join(os.path.dirname(os.path.abspath(BINARY)), "micro_bench")
        if not os.access(micro, os.X_OK):
            notes.append(f"micro_bench: not built next to the binary ({micro}): the null-transport target is not checked")
        else:
            log("micro_bench ...")
            done = subprocess.run([micro, *(["--gib", "1", "--seconds", "1"] if args.quick else [])],
                                  capture_output=True, text=True)
            found = re.search(r"payload signing off\s+([\d.]+) GiB/s", done.stdout)
            if done.returncode == 0 and found:
                micro_rate = float(found.group(1))
            notes.append("micro_bench (" + ("ok" if micro_rate is not None else f"FAILED, exit {done.returncode}")
                         + "):\n\n```\n" + (done.stdout + done.stderr[-1000:]).strip() + "\n```")

    # -- the table ------------------------------------------------------------------------------
    sizes = [f"stream {size / GiB:.2f} GiB" if stream else None,
             f"documents {docs_summary['files']} files / {docs_summary['bytes'] / GiB:.2f} GiB" if docs_summary else None,
             f"pg_dump -Fc {dump_size / MiB:.0f} MiB" if dump_size else None,
             f"verified set {verify_bytes / MiB:.0f} MiB stored" if verify_bytes else None]
    cells = [("row", "result", "wall s", "CPU s", "CPU s/GiB", "peak RSS MiB", "CPU/GiB ÷ aws", "wall ÷ aws")]
    for row in rows:
        if not row.results:
            continue
        ref = next((r for r in rows if r.group == row.group and r.reference and r.results), None)
        wall, cpu = row.median("wall"), row.median("cpu")
        per_gib = cpu / (row.basis / GiB) if row.basis else 0.0
        if ref is not None:
            ratios = (f"{per_gib / (ref.median('cpu') / (ref.basis / GiB)):.2f}", f"{wall / ref.median('wall'):.2f}")
        else:
            ratios = ("-", "-")
        cells.append((row.name, "ok" if row.ok else "FAIL", f"{wall:.2f}", f"{cpu:.2f}", f"{per_gib:.2f}",
                      f"{row.peak():.1f}", *ratios))
    widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))).rstrip()
             for line in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    verify_row = next((r for r in rows if r.group == "verify" and r.results), None)
    if verify_row:
        notes.append(f"verify throughput: {verify_bytes / GiB / verify_row.median('wall'):.2f} GiB/s of stored "
                     f"bytes ({verify_bytes / MiB:.0f} MiB in {verify_row.median('wall'):.2f} s)")
    legend = (f"Medians of {args.runs} run(s), rows of a group alternating. CPU s = user+sys of the measured process "
              "tree (children included: pg_dump, pg_restore, the pipelines' tar/zstd/aws), S3 server and PostgreSQL "
              "server excluded; peak RSS = the largest single process of that tree (GNU time's ru_maxrss), worst run; "
              "CPU s/GiB per GiB of input (stream, documents content, pg_dump -Fc size).")
    table = "\n".join(lines)
    settings = f"; extra settings: {' '.join(f'{k}={v}' for k, v in extra_env.items())}" if extra_env else ""
    # The block between the markers (machine, data, table, verdicts) is what docs/performance.md quotes.
    head = (f"machine: {machine}\n\ndata: {', '.join(s for s in sizes if s)}; s3rver behind the verifying "
            f"front (HTTP, and HTTPS with a throwaway CA){settings}\n\n```\n{table}\n```\n"
            + "".join(f"\n{n}\n" for n in notes))
    tail = f"\n{legend}\n"

    # -- the targets ----------------------------------------------------------------------------
    def find(group: str, prefix: str) -> Row | None:
        return next((r for r in rows if r.group == group and r.name.startswith(prefix) and r.ok), None)  # a failed row is no figure

    checks: list[tuple[str, bool]] = []
    for proto in ("http", "https"):
        erp, ref = find(f"put {proto}", "erp-backup"), find(f"put {proto}", "aws")
        if erp and ref:
            a, b = erp.median("cpu") / erp.basis, ref.median("cpu") / ref.basis
            floor = next((r for r in rows if r.group == f"put {proto}" and r.floor and r.results), None)
            below = f"; {floor.name.split(' (')[0]}: {floor.median('cpu') / floor.basis * GiB:.2f}" if floor else ""
            checks.append((f"put {proto}: erp CPU/GiB {a * GiB:.2f} <= 1/3 of aws {b * GiB:.2f} (= {b * GiB / 3:.2f}{below})",
                           a <= b / 3))
            checks.append((f"put {proto}: erp peak RSS {erp.peak():.1f} MiB <= 64", erp.peak() <= 64))
            others = [r for r in rows if r.group == f"put {proto}" and r is not erp and not r.floor and r.results]
            fastest = min(others, key=lambda r: r.median("wall"))
            checks.append((f"put {proto}: erp wall {erp.median('wall'):.2f} s <= fastest other "
                           f"({fastest.name}) {fastest.median('wall'):.2f} s", erp.median("wall") <= fastest.median("wall")))
    erp, ref = find("docs", "erp-backup"), find("docs", "tar")
    if erp and ref:
        checks.append((f"docs: erp CPU {erp.median('cpu'):.2f} s <= 0.7 x pipeline {ref.median('cpu'):.2f} s",
                       erp.median("cpu") <= 0.7 * ref.median("cpu")))
        checks.append((f"docs: erp wall {erp.median('wall'):.2f} s <= pipeline {ref.median('wall'):.2f} s",
                       erp.median("wall") <= ref.median("wall")))
        checks.append((f"docs: erp peak RSS {erp.peak():.1f} MiB <= 160", erp.peak() <= 160))
    erp = find("full", "erp-backup backup")
    if erp:
        checks.append((f"full backup: erp peak RSS {erp.peak():.1f} MiB <= 160 (issue 2/3; pg_dump's included: the tree's largest)",
                       erp.peak() <= 160))
    erp, ref = find("db", "erp-backup backup --only db"), find("db", "pg_dump -Fc >")
    if erp:
        checks.append((f"db: erp peak RSS {erp.peak():.1f} MiB <= 80 (issue 2/3)", erp.peak() <= 80))
    if erp and ref:
        checks.append((f"db: erp wall {erp.median('wall'):.2f} s <= 1.1 x pg_dump > /dev/null {ref.median('wall'):.2f} s",
                       erp.median("wall") <= 1.1 * ref.median("wall")))
    erp, ref = find("restore", "erp-backup restore db"), find("restore", "pg_restore <")
    if erp and ref:
        checks.append((f"restore: erp wall {erp.median('wall'):.2f} s <= 1.1 x local pg_restore {ref.median('wall'):.2f} s",
                       erp.median("wall") <= 1.1 * ref.median("wall")))
    erp, ref = find("restore", "erp-backup restore db --jobs 2"), find("restore", "pg_restore -j2")
    if erp and ref:
        checks.append((f"restore --jobs 2: erp wall {erp.median('wall'):.2f} s <= 1.1 x local pg_restore -j2 "
                       f"{ref.median('wall'):.2f} s (issue 21)", erp.median("wall") <= 1.1 * ref.median("wall")))
    if "micro" in only and any(n.startswith("micro_bench (") for n in notes):
        checks.append((f"part pipeline into a null transport, payload signing off: "
                       f"{micro_rate if micro_rate is not None else 0:.2f} GiB/s >= 2", (micro_rate or 0) >= 2))
    failed_rows = [r for r in rows if r.results and not r.ok]
    checks.append((f"every run succeeded{'' if not failed_rows else ' (failed: ' + ', '.join(r.name for r in failed_rows) + ')'}",
                   not failed_rows))
    verdicts = "\n".join(f"{'PASS' if ok else 'FAIL'}  {text}" for text, ok in checks)
    elapsed = time.monotonic() - bench_started
    report = (f"<!-- bench-table:begin -->\n{head}\ntargets (issue 11):\n\n```\n{verdicts}\n```\n"
              f"<!-- bench-table:end -->\n{tail}\nbench wall time: {elapsed / 60:.1f} min\n")

    print(report)
    for row in failed_rows:
        print(f"{row.name} failed: {next(r['error'] for r in row.results if not r['ok'])}\n")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(f"# erp-backup benchmark ({'quick smoke run' if args.quick else 'full'})\n\n"
                    f"`python3 bench/bench.py {' '.join(shlex.quote(a) for a in sys.argv[1:])}`\n\n{report}")
        log(f"written to {args.out}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    # SIGTERM (and SIGINT, which a shell ignores in background jobs) unwinds the with-blocks, so
    # the PostgreSQL and S3 servers are stopped instead of left behind.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda number, _frame: sys.exit(128 + number))
    sys.exit(main())
