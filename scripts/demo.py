"""Walk-through of erp-backup on an embedded default (run by scripts/demo.sh).

Starts a throwaway PostgreSQL (initdb in a temp dir, loopback, free port) and a throwaway
S3 server (s3rver behind the SigV4-verifying test front), generates an ERP-like sample
database (340+ llx_ tables) and a documents tree, then runs the real job: backup, list,
the manifest, verify, restore db into a database owned by a non-superuser, and restore docs;
the restored database and tree are compared with the sources. Everything is removed at the end.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# tests/harness and tests/fixtures (ctest sets PYTHONPATH; this script runs by hand, not under ctest).
sys.path[1:1] = [os.path.join(ROOT, "tests", d) for d in ("harness", "fixtures")]

from docs_fixture import describe_tree, generate_documents_tree  # noqa: E402
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

            step("list: the backup sets and the retention tier keeping each")
            sys.stdout.write(erp(env, "list").decode())

            listing = erp(env, "ls", "erp/demo/").decode()
            manifest_key = next(line.split("\t")[2] for line in listing.splitlines()
                                if "/manifests/" in line)
            step(f"the manifest ({manifest_key})")
            manifest = json.loads(erp(env, "cat", manifest_key))
            print(json.dumps({k: manifest[k] for k in ("id", "status", "database")}, indent=2))
            for name, stream in manifest["streams"].items():
                print(f"{name}: {stream['key']} {stream['bytes']} bytes sha256 {stream['sha256'][:16]}...")

            step("verify: every object read back, the dump's TOC and the archive's entries checked")
            sys.stdout.write(erp(env, "verify", "latest").decode())

            step("restore db: into a fresh database owned by a role that is not a superuser")
            pg.create_role("sandbox", "demo-sandbox-pw")
            pg.create_database("sandbox", owner="sandbox")
            restore_env = {**env, "RESTORE_PGHOST": pg.host, "RESTORE_PGPORT": str(pg.port),
                           "RESTORE_PGDATABASE": "sandbox", "RESTORE_PGUSER": "sandbox",
                           "RESTORE_PGPASSWORD": "demo-sandbox-pw",
                           "RESTORE_EXCLUDE": "FUNCTION pgbouncer user_lookup"}
            erp(restore_env, "restore", "db", "latest")
            same = pg.table_fingerprints("sandbox") == pg.table_fingerprints("dolibarr")
            print(f"restored database equals the source, table by table: {same}")

            step("restore docs: the tree, extracted with the tool's own checks")
            restored_docs = os.path.join(workdir, "restored-documents")
            # The sample tree holds absolute links into Dolibarr's documents root.
            erp(env, "restore", "docs", "latest", "--target-dir", restored_docs,
                "--absolute-links-under", "/var/www/documents")
            same_tree = describe_tree(documents) == describe_tree(restored_docs)
            print(f"restored tree equals the source: {same_tree}")
            if not same or not same_tree:
                sys.exit("the restore differs from the source")
            print("\ndemo finished: every S3 request above was re-verified by botocore's SigV4 signer")
    finally:
        subprocess.run(["chmod", "-R", "u+rwx", workdir])
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
