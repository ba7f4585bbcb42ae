"""The class-level life cycle the integration test classes share: servers per class, checks per test.

    class BackupOnMoto(IntegrationCase, unittest.TestCase):
        workdir_prefix = "erp-backup-test-"
        postgres = True
        erp_scale = "tiny"           # the ERP database `dolibarr` in cls.pg
        clear_prefix = "erp/prod/"   # emptied before each test

        @classmethod
        def setUpClass(cls):
            super().setUpClass()     # everything below runs with the servers up
            cls.docs = os.path.join(cls.workdir, "documents")
            ...

IntegrationCase is a mixin: list it before unittest.TestCase (and after a mixin such as
s3_servers.EveryPutUnsigned), so a shared specification class (`class BackupSpec(IntegrationCase)`,
run by `class BackupOnMoto(BackupSpec, unittest.TestCase)`) is not collected as a test itself.

What setUpClass starts, once per class, in this order (nothing is shared across files; across the
classes of one file only the PostgreSQL server of a class that sets `share_postgres`):
  1. `cls.workdir`, a temp dir (only when `workdir_prefix` is set);
  2. `cls.pg`, a PostgresServer(**postgres_options) (only when `postgres` is true); with
     `share_postgres`, the first class of the file starts it (and fills the fixture of step 4),
     the file's later classes with the same postgres_options/erp_scale/erp_target_bytes reuse it,
     and it stops when the file's last class has ended (a module cleanup);
  3. `cls.front`, an S3Front(backend, gcs, tls, session_token);
  4. the ERP fixture database `ERP_DB` in cls.pg, filled by erp_fixture.generate_erp_database at
     `erp_scale` (and `erp_target_bytes`), its summary in `cls.db_summary` (only when `erp_scale`
     is set; a fixture that needs more, such as an owner role made first, is built by the subclass).
A subclass's own setUpClass calls super().setUpClass() and then builds its fixtures; a further
server (a Pushgateway, a pgbouncer) is started with `cls.start_class_server(server)`.

Stopping: every step above registers its undoing with addClassCleanup as soon as it has
succeeded, so the servers stop in the reverse order of their start (further servers first, then
the front, PostgreSQL, and last the workdir), after tearDownClass, and also when setUpClass (a
server's start, the fixture, a subclass's step) fails half-way: whatever was started is stopped.

Checks: tearDownClass runs `cls.front.assert_clean()` (no forbidden header was ever sent, and no
refusal was left undeclared by setUpClass or the last test); each test's tearDown runs
`self.front.assert_no_rejections()` (a test that provokes a refusal declares it with
`self.front.expect_rejections(...)`). A subclass that checks more at the end of the class
overrides tearDownClass and calls super().tearDownClass() (or checks a superset itself).

Before each test, setUp clears the front's faults and, when `clear_prefix` is set, deletes every
object under it. A subclass extends setUp/tearDown with super() calls.

What a subclass may set (class attributes; the defaults start a moto front and nothing else):
  backend           "moto" (default), "s3rver" or "rgw" (Ceph's RADOS Gateway: the run's shared
                    cluster, a bucket per class; tests/harness/rgw_server.py)
  gcs               the front's GCS mode (no batch delete, checksum headers refused)
  tls               the front serves HTTPS with a throwaway CA (AWS_CA_BUNDLE in front.env())
  session_token     the front's credentials carry a session token (default True)
  object_lock       the front's bucket is created with Object Lock enabled (and so versioned)
  postgres          start a PostgresServer as cls.pg (default False: cls.pg is None)
  postgres_options  its keyword arguments, e.g. {"tls": True, "cert_auth_roles": ("role",)}
  share_postgres    reuse the server (and ERP fixture) an earlier class of the same file started
                    with the same settings (default False). Only for classes that vary the S3 side
                    and leave the PostgreSQL side as they found it apart from uniquely named
                    objects (restore_target() names are unique in the run): a fixture of 340 tables
                    is then built once per file instead of once per class. `cls.pg_reused` says
                    whether this class got a server an earlier class had used.
  workdir_prefix    make cls.workdir (removed after `chmod -R u+rwx`: fixtures hold unreadable files)
  erp_scale         "tiny" or "small": fill ERP_DB (needs postgres); erp_target_bytes: its dump size
  clear_prefix      the key prefix the class's tests write under, emptied before each test
Extra environment for the tool stays with each class's own env() helper: what a test hands the
binary is part of what it checks, and belongs next to it.

Helpers: secrets() (the front's and PostgreSQL's: none may show in the tool's output), client()
(boto3 through the front), bucket_keys(prefix), keys() (under clear_prefix), clear_bucket(), get(key),
restore_target(prefix) (a fresh database owned by a fresh non-superuser role), lock_of(key,
version_id) (the mode and retain-until a HEAD shows), versions(prefix) (every version and delete
marker, as list_object_versions shows them), last_seq() (the front's newest record).

A server that does not start raises from setUpClass: the class fails, it is never skipped.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import subprocess
import tempfile
import time
import unittest

from erp_fixture import generate_erp_database
from postgres_server import PostgresServer
from s3_servers import S3Front

ERP_DB = "dolibarr"  # the database the ERP fixture fills
_restore_targets = itertools.count(1)  # restore_target() names, unique in the run
# share_postgres: (module, postgres_options, erp_scale, erp_target_bytes) -> (server, db_summary)
_shared_postgres: dict = {}


def remove_tree(path: str) -> None:
    """rm -rf that also gets through the directories a fixture made unreadable or unwritable."""
    subprocess.run(["chmod", "-R", "u+rwx", path], capture_output=True)
    shutil.rmtree(path, ignore_errors=True)


def _stop_shared_postgres(key, server: PostgresServer) -> None:
    _shared_postgres.pop(key, None)
    server.__exit__(None, None, None)


class IntegrationCase:
    backend = "moto"
    gcs = False
    tls = False
    session_token = True
    postgres = False
    postgres_options: dict = {}
    workdir_prefix: str | None = None
    erp_scale: str | None = None
    erp_target_bytes: int | None = None
    clear_prefix: str | None = None
    object_lock = False
    share_postgres = False

    pg: PostgresServer | None = None
    pg_reused = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.erp_scale is not None and not cls.postgres:
            raise ValueError(f"{cls.__name__}: erp_scale needs postgres = True (the ERP database lives in cls.pg)")
        if cls.workdir_prefix is not None:
            cls.workdir = tempfile.mkdtemp(prefix=cls.workdir_prefix)
            cls.addClassCleanup(remove_tree, cls.workdir)
        shared_key = (cls.__module__, repr(sorted(cls.postgres_options.items())), cls.erp_scale,
                      cls.erp_target_bytes)
        shared = _shared_postgres.get(shared_key) if cls.share_postgres else None
        if shared is not None:
            cls.pg, cls.db_summary = shared
            cls.pg_reused = True
        elif cls.postgres:
            if cls.share_postgres:
                # Stopped when the file's classes are done, even if this class fails half-way.
                cls.pg = PostgresServer(**cls.postgres_options)
                cls.pg.__enter__()
                unittest.addModuleCleanup(_stop_shared_postgres, shared_key, cls.pg)
            else:
                cls.pg = cls.start_class_server(PostgresServer(**cls.postgres_options))
        cls.front = cls.start_class_server(S3Front(backend=cls.backend, gcs=cls.gcs, tls=cls.tls,
                                                   session_token=cls.session_token,
                                                   object_lock=cls.object_lock))
        if cls.erp_scale is not None and shared is None:
            cls.db_summary = generate_erp_database(cls.pg, ERP_DB, scale=cls.erp_scale,
                                                   target_bytes=cls.erp_target_bytes)
        if cls.share_postgres and cls.postgres and shared is None:
            _shared_postgres[shared_key] = (cls.pg, getattr(cls, "db_summary", None))

    @classmethod
    def start_class_server(cls, server):
        """Starts a ManagedServer (its start failing stops it) and stops it when the class ends,
        before whatever was started earlier. Returns the server."""
        server.__enter__()
        cls.addClassCleanup(server.__exit__, None, None, None)
        return server

    @classmethod
    def tearDownClass(cls):
        try:
            cls.front.assert_clean()
        finally:
            super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.front.set_faults([])
        if self.clear_prefix is not None:
            self.clear_bucket()

    def tearDown(self):
        try:
            self.front.assert_no_rejections()
        finally:
            super().tearDown()

    # -- helpers ---------------------------------------------------------------------------------
    def secrets(self) -> list[str]:
        """Every secret value the servers hold: none may appear in the tool's output."""
        return self.front.secrets() + (self.pg.secrets() if self.pg is not None else [])

    def client(self):
        """A boto3 S3 client through the front."""
        return self.front.boto3_client()

    def bucket_keys(self, prefix: str = "") -> list[str]:
        """The bucket's keys under `prefix`, sorted, listed with boto3 (not the tool)."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.front.bucket, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def keys(self) -> list[str]:
        """bucket_keys(clear_prefix): what the tests of a class store lives under that prefix."""
        return self.bucket_keys(self.clear_prefix or "")

    def clear_bucket(self) -> None:
        """Deletes every object under clear_prefix (setUp does it before each test)."""
        client = self.client()
        for key in self.bucket_keys(self.clear_prefix or ""):
            client.delete_object(Bucket=self.front.bucket, Key=key)

    def get(self, key: str) -> bytes:
        return self.client().get_object(Bucket=self.front.bucket, Key=key)["Body"].read()

    def wait_for_held_key(self, since: int, method: str, path_part: str, run: subprocess.Popen,
                          what: str, timeout: float = 120) -> str:
        """Waits until the front has recorded a `method` request of `run` whose path holds
        `path_part` (a request a "hold" fault is holding); returns its key. Fails when `run`
        ends first or nothing comes within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not (held := [r for r in self.front.requests(since)
                            if r["method"] == method and path_part in r["target"]]):
            self.assertIsNone(run.poll(), f"the run ended before it {what}")
            self.assertLess(time.monotonic(), deadline, f"the run never {what}")
            time.sleep(0.05)  # polling the front's record, bounded by the deadline
        return held[0]["target"].split("?", 1)[0].removeprefix(f"/{self.front.bucket}/")

    def restore_target(self, prefix: str = "sandbox") -> tuple[str, str, str]:
        """A fresh database in cls.pg owned by a fresh non-superuser role, named PREFIX_N (what a
        restore must work into): (database, role, password)."""
        n = next(_restore_targets)
        user, password = f"{prefix}_{n}", f"erpTEST-target-{n}-Zq8"
        self.pg.create_role(user, password)
        self.pg.create_database(user, owner=user)
        return user, user, password

    @classmethod
    def lock_of(cls, key: str, version_id: str | None = None) -> tuple[str | None, "dt.datetime | None"]:
        """(ObjectLockMode, ObjectLockRetainUntilDate as an aware UTC datetime) a HEAD of `key` (or
        of that version) through the front shows; (None, None) when it shows no lock. A class
        method, like versions(): a class that runs its scenario in setUpClass reads with it too."""
        extra = {"VersionId": version_id} if version_id else {}
        head = cls.front.boto3_client().head_object(Bucket=cls.front.bucket, Key=key, **extra)
        until = head.get("ObjectLockRetainUntilDate")
        return head.get("ObjectLockMode"), until.astimezone(dt.timezone.utc) if until else None

    @classmethod
    def versions(cls, prefix: str) -> list[dict]:
        """Every version and delete marker under `prefix` (ListObjectVersions through the front):
        {"key", "version_id", "delete_marker", "latest"}, in the listing's order."""
        found = []
        pages = cls.front.boto3_client().get_paginator("list_object_versions").paginate(Bucket=cls.front.bucket,
                                                                                       Prefix=prefix)
        for page in pages:
            for kind, marker in (("Versions", False), ("DeleteMarkers", True)):
                found += [{"key": v["Key"], "version_id": v["VersionId"], "delete_marker": marker,
                           "latest": v["IsLatest"]} for v in page.get(kind, [])]
        return found

    @classmethod
    def last_seq(cls) -> int:
        """The seq of the front's newest recorded request (0 before any): front.requests(since=it)
        is then what came after this moment."""
        records = cls.front.requests()
        return records[-1]["seq"] if records else 0
