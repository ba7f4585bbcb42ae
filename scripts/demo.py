"""Walk-through of erp-backup on an embedded default (run by scripts/demo.sh).

Starts a throwaway PostgreSQL (initdb in a temp dir, loopback, free port) and a throwaway
S3 server (s3rver behind the SigV4-verifying test front), generates an ERP-like sample
database (340+ llx_ tables) and a documents tree, then runs the real job: backup, ls,
the manifest, and a check that the stored dump restores and the archive lists. Everything
is removed at the end.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

from docs_fixture import generate_documents_tree  # noqa: E402
from erp_cli import BINARY, clean_env  # noqa: E402
from erp_fixture import generate_erp_database  # noqa: E402
from postgres_server import PostgresServer  # noqa: E402
from s3_servers import S3Front  # noqa: E402


def step(title: str) -> None:
    print(f"\n=== {title}", flush=True)


def erp(env: dict, *args: str, check: bool = True) -> bytes:
    print("$ erp-backup " + " ".join(args), flush=True)
    result = subprocess.run([BINARY, *args], env=env, stdout=subprocess.PIPE)
    if check and result.returncode != 0:
        sys.exit(f"erp-backup {args[0]} failed with exit code {result.returncode}")
    return result.stdout


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="erp-backup-demo-")
    try:
        with PostgresServer() as pg, S3Front(backend="s3rver") as s3:
            step("a throwaway PostgreSQL and S3 server on loopback")
            print(f"PostgreSQL {pg.host}:{pg.port}, S3 {s3.endpoint} bucket {s3.bucket}")

            step("sample data: an ERP-like database and a documents tree")
            pg.create_database("dolibarr")
            summary = generate_erp_database(pg, "dolibarr", scale="small")
            print(f"database dolibarr: {summary['llx_tables']} llx_ tables, {summary['rows']} rows")
            documents = os.path.join(workdir, "documents")
            tree = generate_documents_tree(documents)
            print(f"documents: {tree['files']} files, {tree['dirs']} directories, "
                  f"{tree['bytes']} bytes in {documents}")

            env = clean_env({**s3.env(), **pg.env("dolibarr"), "BACKUP_ENV": "demo",
                             "DOCUMENTS_DIR": documents, "PRUNE_AFTER_BACKUP": "false"})

            step("backup: pg_dump and the tree stream straight into S3, manifest last")
            erp(env, "backup")

            step("what is in the bucket")
            listing = erp(env, "ls", "erp/demo/").decode()
            sys.stdout.write(listing)

            manifest_key = next(line.split("\t")[2] for line in listing.splitlines()
                                if "/manifests/" in line)
            step(f"the manifest ({manifest_key})")
            manifest = json.loads(erp(env, "cat", manifest_key))
            print(json.dumps({k: manifest[k] for k in ("id", "status", "database")}, indent=2))
            for name, stream in manifest["streams"].items():
                print(f"{name}: {stream['key']} {stream['bytes']} bytes sha256 {stream['sha256'][:16]}...")

            step("check: the stored dump restores and the archive lists")
            dump = erp(env, "cat", manifest["streams"]["db"]["key"])
            pg.create_database("restored")
            restore = subprocess.run([pg.bin("pg_restore"), "--no-owner", "-d", "restored"], input=dump,
                                     env=pg.client_env("restored"), capture_output=True)
            if restore.returncode != 0:
                sys.exit("pg_restore failed: " + restore.stderr.decode(errors="replace")[-2000:])
            same = pg.table_fingerprints("restored") == pg.table_fingerprints("dolibarr")
            print(f"restored database equals the source, table by table: {same}")
            archive = erp(env, "cat", manifest["streams"]["docs"]["key"])
            listed = subprocess.run("zstd -dc | tar -tf - | wc -l", shell=True, input=archive,
                                    capture_output=True)
            print(f"archive entries (zstd -d | tar -t): {listed.stdout.decode().strip()}")
            if not same:
                sys.exit("the restored database differs from the source")
            print("\ndemo finished: every S3 request above was re-verified by botocore's SigV4 signer")
    finally:
        subprocess.run(["chmod", "-R", "u+rwx", workdir])
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
