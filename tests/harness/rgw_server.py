#!/usr/bin/env python3
"""Ceph's RADOS Gateway (Debian's radosgw 16.2) as a throwaway single-node cluster on loopback.

    cluster = rgw_server.cluster_for_tests()   # the run's shared cluster, or this process's own
    front = S3Front(backend="rgw")             # s3_servers.py does this: forwards to cluster.endpoint
    cluster.remove_bucket(name)                # each class's bucket goes when its front stops

What one cluster is (RgwCluster.start, ~10 s and ~150 MiB resident on the test machine):
  * one mon, msgr2 only, on a port picked free and named in the monmap (the mon cannot bind port
    0: every client must know its address up front); a bind failure retries another port, and the
    port is accepted only once the mon's own process holds it (tests/harness/listening.py);
    `ceph -s` must then answer with the mon in quorum;
  * no mgr (RGW and OSD I/O do not need one; `ceph -s` then shows no PG stats, nothing else);
  * one OSD, bluestore on a sparse 20 GiB file in the temp dir (only the written blocks take disk:
    a few MiB after mkfs); it binds its own ports (6800-7300) and must show up and in in
    `ceph osd dump`;
  * pools of size 1 (osd_pool_default_size=1, min_size 1, mon_allow_pool_size_one), 8 PGs each,
    no autoscaler; radosgw creates its own pools and zone on its first start;
  * cephx on: one keyring in the temp dir holds the keys of mon., client.admin, osd.0 and
    client.rgw.a, generated here (random 16-byte AES keys in Ceph's encoding);
  * radosgw with the beast frontend on 127.0.0.1 port 0 (the kernel picks; the port is read from
    radosgw's own listening socket), and one S3 user made with `radosgw-admin user create` with a
    distinctive key pair (`erpTEST-s3secret-<hex>`); ready once a signed ListBuckets answers 200.
Every daemon binds 127.0.0.1 only (`public addr`, `cluster addr`, `ms bind ipv6 = false`) and
reads only the generated ceph.conf (never /etc/ceph). Memory is kept small: bluestore's cache is
fixed at 64 MiB (autotune off), radosgw runs 16 threads; `rss_kib()` reports what it holds.
`paxos propose interval = 0.05` lets the mon commit pool and OSD changes at once instead of once
a second: that takes RGW's first start (eight pools) from ~20 s to ~10 s.

The daemons run in the foreground as children of the process that started them, with
PR_SET_PDEATHSIG=SIGKILL: if that process dies, so do they. stop() sends SIGTERM to radosgw and
the OSD (while the mon is still there to hear the OSD's goodbye), then to the mon, SIGKILL after a
grace period, and removes the temp dir. A daemon that does not start raises RgwError with the tail
of each daemon's log: a failure, never a skip.

Sharing: a cluster costs ~10 s and ~150 MiB, so one serves a whole test run, each test class with
a bucket of its own (S3Front creates it and removes it with everything in it when it stops).
  * Under ctest, the entry `rgw_up` (FIXTURES_SETUP rgw) runs `rgw_server.py up --state FILE`: it
    starts `rgw_server.py serve` detached (a supervisor in a session of its own, owning the
    daemons) and returns once the supervisor wrote FILE (0600: it holds the S3 secret) with the
    cluster's endpoint, keys, pids and the supervisor's own pid and start time. The supervisor
    stops the cluster and removes FILE when `rgw_down` (FIXTURES_CLEANUP rgw) signals it, when the
    ctest process that ran `up` exits (killed or not: a pidfd says so, no polling), or when a
    daemon dies (FILE then says which, with its log tail). ctest hands the files that need the
    cluster (FIXTURES_REQUIRED rgw) ERP_RGW_STATE=FILE.
  * cluster_for_tests() with ERP_RGW_STATE set uses that cluster only if it is live: the
    supervisor's pid still has the recorded start time (no pid reuse), every daemon is alive,
    and RGW answers a signed ListBuckets. Anything else raises naming what is wrong (a file run by
    ctest never starts a second cluster behind the fixture's back).
  * Without ERP_RGW_STATE (a test file run alone with `python3 -m unittest`), the first call starts
    a cluster owned by this process, shared by its classes, stopped at interpreter exit.
  * A state file left by a killed run is never reused blindly: `up` finds it, stops a supervisor
    that is still alive only if the ctest it watched is gone (a live one means another run owns
    it: `up` fails), removes the dead cluster's temp dir, and starts a fresh cluster.

Further S3 users (issue 20's credential scopes): `create_user(name)` makes one with
`radosgw-admin user create`; `bucket_policy_for(scope, user, bucket, prefix)` gives the bucket-
policy statements of the backup, prune or restore scope (SCOPES), which `put_bucket_policy` puts
as the bucket's owner; `s3_client(user)` signs straight to radosgw as the owner or a user.
S3Front.add_scoped_user does all three for a front's bucket. What RGW enforces of Object Lock
and of those policies, measured: docs/testing.md, "Object Lock and bucket policies on the test
servers".

Command line (what the ctest entries run):
    rgw_server.py up --state FILE     start a supervised cluster, print its figures, exit 0/1
    rgw_server.py down --state FILE   stop it (exit 1 if it cannot be stopped)
    rgw_server.py serve --state FILE --watch-pid PID   the supervisor itself (started by `up`)
"""

from __future__ import annotations

import argparse
import atexit
import base64
import ctypes
import json
import os
import secrets as _secrets
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid

from listening import wait_for_listening_port  # noqa: E402
from managed_server import ManagedServer  # noqa: E402

START_TIMEOUT = 120.0  # each step's bound (mon, OSD, RGW); ~10 s in all on an idle machine
STOP_GRACE = 15.0  # SIGTERM, then SIGKILL
PORT_ATTEMPTS = 5  # the mon's port is picked free, then bound: another process can take it between
CLI_TIMEOUT = 60.0
REQUIRED_PROGRAMS = ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "monmaptool", "ceph")
USER = "erp-backup-tests"  # the RGW user every front signs as
STATE_ENV = "ERP_RGW_STATE"


class RgwError(RuntimeError):
    """The cluster could not be found, started, reached or stopped."""


def _die_with_parent() -> None:
    """preexec_fn: the daemon gets SIGKILL when the process that started it dies (Linux)."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _cephx_key() -> str:
    """A new cephx secret as ceph-authtool --gen-key writes it: base64 of type (1 = AES), creation
    time (seconds, nanoseconds), length 16, then 16 random bytes (all little-endian)."""
    return base64.b64encode(struct.pack("<HIIH", 1, int(time.time()), 0, 16) + os.urandom(16)).decode()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_start_time(pid: int) -> int | None:
    """Field 22 of /proc/PID/stat (clock ticks after boot): with the pid, names one process for
    good; None when there is no such process (or it is a zombie)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()  # after "pid (comm) "; comm may hold spaces
    if fields[0] == b"Z":
        return None
    return int(fields[19])


def same_process(entry: dict | None) -> bool:
    """entry = {"pid": N, "start_time": T}: is that process (not a later one with its pid) alive?"""
    return bool(entry) and process_start_time(entry["pid"]) == entry["start_time"]


def rss_kib(pids) -> int:
    """Sum of VmRSS over the given live pids, in KiB."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def _tail(path: str, limit: int = 3000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - limit))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return "(no log)"


def run_tool(argv: list[str], what: str, timeout: float = CLI_TIMEOUT, context=lambda: "") -> str:
    """Runs argv (stdin closed) and returns its stdout; raises RgwError naming `what`, the exit
    status and the end of its output (then context(), e.g. the daemons' logs), or the timeout."""
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise RgwError(f"{what}: no answer within {timeout:.0f}s\n{context()}")
    if done.returncode != 0:
        raise RgwError(f"{what}: {argv[0]} exited with status {done.returncode}: "
                       f"{(done.stdout + done.stderr).decode(errors='replace').strip()[-2000:]}\n{context()}")
    return done.stdout.decode(errors="replace")


# ---------------------------------------------------------------------------------------------
# S3 users and the three credential scopes of issue 20 (docs/testing.md "Object Lock on the test
# servers" has what RGW and moto enforce, measured)
# ---------------------------------------------------------------------------------------------

class S3User:
    """An RGW user ClusterAccess.create_user made: uid, access_key, secret_key; `arn` is what a
    bucket policy's Principal names (`arn:aws:iam:::user/UID`: no tenant)."""

    def __init__(self, uid: str, access_key: str, secret_key: str):
        self.uid, self.access_key, self.secret_key = uid, access_key, secret_key

    @property
    def arn(self) -> str:
        return f"arn:aws:iam:::user/{self.uid}"


# What each job may do (issue 20's contract, "Credential scopes"), as S3 actions. Bucket-level
# actions apply to the bucket's ARN, object-level ones to the env prefix's objects.
# s3:GetObjectVersion is in both writing scopes although the contract's lists leave it out:
# HEAD ?versionId= (head_object_version: the writer's check after PutObjectRetention, prune's
# HEAD of every version) needs it, on AWS as on RGW. RGW lets the user who wrote an object HEAD
# its versions without it (the object's ACL), so the backup scope gets by there; prune, HEADing
# versions another user wrote, is refused 403 without it (measured on radosgw 16.2.15).
# s3:GetObjectRetention: without it RGW answers HEAD without the x-amz-object-lock-* headers, so
# a writer could not see the lock it just applied.
BACKUP_BUCKET_ACTIONS = ["s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads",
                         "s3:GetBucketObjectLockConfiguration", "s3:GetBucketVersioning"]
BACKUP_OBJECT_ACTIONS = ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:AbortMultipartUpload",
                         "s3:PutObjectRetention", "s3:GetObjectRetention"]
SCOPES = {
    # no s3:DeleteObject, no s3:DeleteObjectVersion: the job that writes cannot destroy
    "backup": (BACKUP_BUCKET_ACTIONS, BACKUP_OBJECT_ACTIONS),
    # backup's list and read rights, deletes, promotion (PutObjectRetention), aborts; no PutObject
    "prune": (BACKUP_BUCKET_ACTIONS, ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectRetention",
                                      "s3:PutObjectRetention", "s3:AbortMultipartUpload", "s3:DeleteObject",
                                      "s3:DeleteObjectVersion"]),
    # restore, refresh-sandbox, verify, drill, status: read the env's prefix, nothing else
    "restore": (["s3:ListBucket"], ["s3:GetObject"]),
}


def owner_reads(bucket: str) -> dict:
    """The statement that lets the cluster's own user (the owner of every bucket a front creates)
    read every object of `bucket`, whoever wrote it: on RGW an object belongs to the user who
    wrote it, and the bucket's owner may not even GET or HEAD it unless a policy grants that
    (measured: AccessDenied). The tests' own checks read as the owner."""
    return {"Sid": "owner-reads", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam:::user/{USER}"]},
            "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectRetention"],
            "Resource": [f"arn:aws:s3:::{bucket}/*"]}


def nobody_bypasses(bucket: str) -> dict:
    """The statement that denies s3:BypassGovernanceRetention on every object of `bucket` to
    everyone, the owner included (docs/least-privilege.md, "NobodyBypasses"). RGW 16 needs it:
    without an explicit Deny it lets any credential that may delete a version (the owner, a
    prune scope) remove a GOVERNANCE version by adding x-amz-bypass-governance-retention: true
    (measured), which the enforcement canary then rightly reports as NOT enforced."""
    return {"Sid": "nobody-bypasses", "Effect": "Deny", "Principal": {"AWS": ["*"]},
            "Action": ["s3:BypassGovernanceRetention"], "Resource": [f"arn:aws:s3:::{bucket}/*"]}


def bucket_policy_for(scope: str, user: S3User, bucket: str, prefix: str) -> list[dict]:
    """The bucket-policy statements that grant `user` the `scope` (SCOPES) on `prefix` (e.g.
    "erp/prod/") of `bucket`: object actions on `bucket/prefix*`, bucket actions on the bucket,
    listing limited to the prefix (condition s3:prefix) for the restore scope. Nothing is denied
    explicitly: what is not allowed is refused because a non-owner has no other grant."""
    bucket_actions, object_actions = SCOPES[scope]
    listing = {"Effect": "Allow", "Principal": {"AWS": [user.arn]}, "Action": bucket_actions,
               "Resource": [f"arn:aws:s3:::{bucket}"]}
    if scope == "restore":
        listing["Condition"] = {"StringLike": {"s3:prefix": [f"{prefix}*"]}}
    return [{"Sid": f"{scope}-bucket-{user.uid}", **listing},
            {"Sid": f"{scope}-objects-{user.uid}", "Effect": "Allow", "Principal": {"AWS": [user.arn]},
             "Action": object_actions, "Resource": [f"arn:aws:s3:::{bucket}/{prefix}*"]}]


class ClusterAccess:
    """What a test needs of a running cluster, wherever it runs: endpoint, S3 keys, ceph.conf.

    Built by RgwCluster itself or from a state file (the shared cluster of a ctest run)."""

    endpoint: str
    access_key: str
    secret_key: str
    conf: str
    workdir: str

    def cli(self, program: str, *args: str, timeout: float = CLI_TIMEOUT) -> str:
        """Runs `program -c ceph.conf ARGS` (ceph, radosgw-admin); see run_tool."""
        return run_tool([program, "-c", self.conf, *args], f"{program} {' '.join(args[:3])}", timeout)

    def ceph_json(self, *args: str):
        return json.loads(self.cli("ceph", "--connect-timeout", "20", *args, "--format", "json"))

    def s3_client(self, user: "S3User | None" = None, **config):
        """A boto3 S3 client straight to radosgw (no front), signed as `user` or as the cluster's
        own user (the owner of every bucket a front creates). Path style, checksums only when
        required, one attempt; keyword arguments go to botocore.config.Config.

        What goes straight to radosgw rather than through a front: set-up a test is not about
        (bucket policies, planted retention) whose boto3 requests carry the x-amz-checksum-*
        headers the front records as violations (PutBucketPolicy and PutObjectRetention always
        do: their API model requires a checksum, and botocore no longer sends Content-MD5)."""
        import boto3
        from botocore.config import Config

        settings = dict(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, connect_timeout=5,
                        read_timeout=30, request_checksum_calculation="when_required",
                        response_checksum_validation="when_required")
        settings.update(config)
        access_key, secret_key = (user.access_key, user.secret_key) if user else (self.access_key, self.secret_key)
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                            config=Config(**settings))

    def list_buckets_status(self) -> int:
        """A ListBuckets signed with the user's keys, straight to radosgw: its HTTP status."""
        from botocore.exceptions import ClientError

        try:
            return self.s3_client().list_buckets()["ResponseMetadata"]["HTTPStatusCode"]
        except ClientError as exc:
            return exc.response["ResponseMetadata"]["HTTPStatusCode"]

    def create_user(self, name: str) -> "S3User":
        """A new S3 user (`radosgw-admin user create`) with distinctive keys: uid
        `erp-NAME-<hex>`, access key `ERPTESTU<NAME><HEX>`, secret `erpTEST-s3secret-<hex>` (a test
        greps the tool's output for it). It owns no bucket and may do nothing in another user's
        bucket until that bucket's policy grants it something (bucket_policy_for). Users outlive
        the bucket they were made for; they go with the cluster. Raises RgwError."""
        tag = _secrets.token_hex(4)
        # ERPTESTU... sorts after the cluster user's ERPTESTRGW...: a front signs its own HEADs
        # (s3front.py backend_has) with the first of its keys, which stays the bucket's owner.
        user = S3User(uid=f"erp-{name}-{tag}",
                      access_key=f"ERPTESTU{name.upper().replace('-', '')[:4]}{tag.upper()}",
                      secret_key=f"erpTEST-s3secret-{_secrets.token_hex(12)}")
        self.cli("radosgw-admin", "user", "create", f"--uid={user.uid}", f"--display-name=erp-backup tests {name}",
                 f"--access-key={user.access_key}", f"--secret-key={user.secret_key}")
        return user

    def put_bucket_policy(self, bucket: str, statements: list[dict]) -> None:
        """Replaces `bucket`'s policy with these statements, as the bucket's owner (the cluster's
        user), straight to radosgw. Raises botocore's ClientError when RGW refuses it."""
        self.s3_client().put_bucket_policy(Bucket=bucket, Policy=json.dumps(
            {"Version": "2012-10-17", "Statement": statements}))

    def object_lock_enabled(self, bucket: str) -> bool:
        """Whether GetObjectLockConfiguration answers ObjectLockEnabled=Enabled (asked as the owner)."""
        answer = self.s3_client().get_object_lock_configuration(Bucket=bucket)
        return answer.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"

    def remove_bucket(self, bucket: str) -> None:
        """Removes `bucket` with every object, version and multipart upload in it, bypassing the
        garbage collector (the space is free at once). Raises RgwError when radosgw-admin fails."""
        self.cli("radosgw-admin", "bucket", "rm", f"--bucket={bucket}", "--purge-objects", "--bypass-gc",
                 timeout=300)


class RgwCluster(ManagedServer, ClusterAccess):
    """mon + OSD + radosgw in a temp dir, as a context manager (see the module doc).

    Attributes after start(): endpoint ("http://127.0.0.1:PORT" of radosgw), access_key,
    secret_key (the S3 user's), conf (ceph.conf), workdir, mon_port, pids ({"mon", "osd", "rgw"}),
    started_in (seconds start() took)."""

    log_label = "ceph rgw cluster"

    def __init__(self):
        missing = [p for p in REQUIRED_PROGRAMS if shutil.which(p) is None]
        if missing:
            raise RgwError(f"missing {', '.join(missing)} (hint: apt-get install --no-install-recommends "
                           "radosgw ceph-mon ceph-osd ceph-common; scripts/install-test-deps.sh does)")
        self.workdir = None
        self.log_path = None
        self.procs: dict[str, subprocess.Popen] = {}
        self.access_key = f"ERPTESTRGW{_secrets.token_hex(5).upper()}"
        self.secret_key = f"erpTEST-s3secret-{_secrets.token_hex(12)}"
        self.endpoint = None
        self.mon_port = None
        self.started_in = None

    # -- life cycle --------------------------------------------------------------------------------
    def start(self) -> None:
        began = time.monotonic()
        self.workdir = tempfile.mkdtemp(prefix="erp-rgw-")
        for sub in ("mon", "osd/ceph-0", "run", "log"):
            os.makedirs(os.path.join(self.workdir, sub))
        self.conf = os.path.join(self.workdir, "ceph.conf")
        self.keyring = os.path.join(self.workdir, "keyring")
        self.log_path = os.path.join(self.workdir, "log", "client.rgw.a.log")
        self.fsid = str(uuid.uuid4())
        self._write_keyring()
        self._start_mon()
        self._start_osd()
        self._start_rgw()
        self.started_in = time.monotonic() - began

    def stop(self) -> None:
        # One after the other (together, radosgw and the OSD took 15 s here, each alone well under
        # one): radosgw, then the OSD while the mon is there to take its "going down" (else the OSD
        # waits 5 s for an answer), then the mon.
        for name in ("rgw", "osd", "mon"):
            proc = self.procs.get(name)
            if proc is None:
                continue
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = {}
        self.remove_workdir()

    @property
    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in self.procs.items()}

    def rss_kib(self) -> int:
        return rss_kib(self.pids.values())

    def dead_daemon(self) -> str | None:
        """The first daemon that has exited, described with its status and log tail; else None."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                return f"{name} exited with status {proc.returncode}\n{self._daemon_log_tail(name)}"
        return None

    def log_text(self) -> str:
        """The tail of every daemon's log (what a failed start shows)."""
        if self.workdir is None:
            return ""
        return "\n".join(f"--- {name} ---\n{self._daemon_log_tail(name)}" for name in ("mon", "osd", "rgw"))

    # -- steps ---------------------------------------------------------------------------------------
    def _daemon_log_tail(self, name: str) -> str:
        log = {"mon": "mon.a", "osd": "osd.0", "rgw": "client.rgw.a"}[name]
        logdir = os.path.join(self.workdir, "log")
        return (_tail(os.path.join(logdir, f"{log}.log")) + "\n(stdout/stderr:)\n"
                + _tail(os.path.join(logdir, f"{log}.out"), 1500))

    def _write_keyring(self) -> None:
        entities = {
            "mon.": {"mon": "allow *"},
            "client.admin": {"mon": "allow *", "osd": "allow *", "mgr": "allow *", "mds": "allow *"},
            "osd.0": {"mon": "allow profile osd", "osd": "allow *", "mgr": "allow profile osd"},
            "client.rgw.a": {"mon": "allow rw", "osd": "allow rwx", "mgr": "allow rw"},
        }
        fd = os.open(self.keyring, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            for name, caps in entities.items():
                f.write(f"[{name}]\n\tkey = {_cephx_key()}\n")
                for service, cap in caps.items():
                    f.write(f'\tcaps {service} = "{cap}"\n')

    def _write_conf(self) -> None:
        w = self.workdir
        with open(self.conf, "w") as f:
            f.write(f"""[global]
fsid = {self.fsid}
mon host = [v2:127.0.0.1:{self.mon_port}]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = {self.keyring}
run dir = {w}/run
log file = {w}/log/$name.log
mon data = {w}/mon/$cluster-$id
osd data = {w}/osd/$cluster-$id
# one OSD: every pool has one copy
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
# commit map changes at once, not once a second (RGW's pools, the OSD's boot)
paxos propose interval = 0.05
paxos min wait = 0.01
osd objectstore = bluestore
bluestore block create = true
bluestore block size = 21474836480
bluestore fsck on mkfs = false
bluestore fsck on mount = false
bluestore cache autotune = false
bluestore cache size = 67108864

[mon]
admin socket = {w}/run/$name.asok
# a port taken between the pick and the bind: give up after 3 x 1 s (not 3 x 5 s), another is tried
ms bind retry delay = 1

[osd]
admin socket = {w}/run/$name.asok

[client.rgw.a]
admin socket = {w}/run/$name.asok
rgw frontends = beast endpoint=127.0.0.1:0
rgw thread pool size = 16
rgw dynamic resharding = false
rgw run sync thread = false
""")

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = {"mon": "mon.a", "osd": "osd.0", "rgw": "client.rgw.a"}[name]
        with open(os.path.join(self.workdir, "log", f"{log}.out"), "ab") as out:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    preexec_fn=_die_with_parent)
        self.procs[name] = proc
        return proc

    def _run(self, argv: list[str], what: str) -> str:
        """run_tool, with every daemon's log tail in its error (a start step failed)."""
        return run_tool(argv, what, context=self.log_text)

    def _start_mon(self) -> None:
        mon_data = os.path.join(self.workdir, "mon", "ceph-a")
        monmap = os.path.join(self.workdir, "monmap")
        failures = []
        for _ in range(PORT_ATTEMPTS):
            self.mon_port = _free_port()
            self._write_conf()
            shutil.rmtree(mon_data, ignore_errors=True)
            self._run(["monmaptool", "--create", "--clobber", "--fsid", self.fsid,
                       "--addv", "a", f"[v2:127.0.0.1:{self.mon_port}]", monmap], "monmaptool")
            self._run(["ceph-mon", "-c", self.conf, "--mkfs", "-i", "a", "--monmap", monmap,
                       "--keyring", self.keyring], "ceph-mon --mkfs")
            mon = self._spawn("mon", ["ceph-mon", "-c", self.conf, "-f", "-i", "a"])
            deadline = time.monotonic() + START_TIMEOUT
            if wait_for_listening_port(mon.pid, deadline, alive=lambda: mon.poll() is None,
                                       port=self.mon_port) is not None:
                break
            if mon.poll() is None:  # alive but not on its port: not a bind race, give up
                raise RgwError(f"ceph-mon does not listen on 127.0.0.1:{self.mon_port} after "
                               f"{START_TIMEOUT:.0f}s\n{self.log_text()}")
            failures.append(f"port {self.mon_port}: exited with status {mon.returncode}")
            del self.procs["mon"]
        else:
            raise RgwError(f"ceph-mon did not start ({'; '.join(failures)})\n{self.log_text()}")
        # The mon holds its port; it must also answer as the leader of a quorum of one.
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                status = self.ceph_json("-s")
                if status.get("quorum_names") == ["a"]:
                    return
                problem = f"quorum {status.get('quorum_names')}"
            except (RgwError, ValueError) as exc:
                problem = str(exc)
            self._check_alive("mon", problem, deadline)

    def _check_alive(self, name: str, problem: str, deadline: float) -> None:
        """Between two readiness polls: raises if a daemon died or the deadline passed."""
        dead = self.dead_daemon()
        if dead is not None:
            raise RgwError(f"while waiting for the {name}: {dead}")
        if time.monotonic() > deadline:
            raise RgwError(f"the {name} is not ready after {START_TIMEOUT:.0f}s ({problem})\n{self.log_text()}")
        time.sleep(0.2)  # poll interval of a readiness check, bounded by the deadline

    def _start_osd(self) -> None:
        osd_uuid = str(uuid.uuid4())
        osd_id = self.cli("ceph", "--connect-timeout", "20", "osd", "new", osd_uuid).strip()
        if osd_id != "0":
            raise RgwError(f"`ceph osd new` gave OSD id {osd_id!r}, expected 0")
        self._run(["ceph-osd", "-c", self.conf, "-i", "0", "--mkfs", "--osd-uuid", osd_uuid], "ceph-osd --mkfs")
        self._spawn("osd", ["ceph-osd", "-c", self.conf, "-f", "-i", "0"])
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                osds = self.ceph_json("osd", "dump")["osds"]
                if osds and osds[0]["osd"] == 0 and osds[0]["up"] == 1 and osds[0]["in"] == 1:
                    return
                problem = f"osd dump: {osds}"
            except (RgwError, ValueError, KeyError) as exc:
                problem = str(exc)
            self._check_alive("osd", problem, deadline)

    def _start_rgw(self) -> None:
        rgw = self._spawn("rgw", ["radosgw", "-c", self.conf, "-f", "-n", "client.rgw.a"])
        # radosgw creates its pools and zone first, then binds port 0: the kernel's pick is read
        # from its own listening socket, so no other process's port can be taken for it.
        deadline = time.monotonic() + START_TIMEOUT
        port = wait_for_listening_port(rgw.pid, deadline, alive=lambda: rgw.poll() is None)
        if port is None:
            dead = self.dead_daemon()
            if dead is not None:
                raise RgwError(f"radosgw did not start: {dead}")
            raise RgwError(f"radosgw is not listening after {START_TIMEOUT:.0f}s\n{self.log_text()}")
        self.endpoint = f"http://127.0.0.1:{port}"
        self.cli("radosgw-admin", "user", "create", f"--uid={USER}", "--display-name=erp-backup tests",
                 f"--access-key={self.access_key}", f"--secret-key={self.secret_key}")
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                status = self.list_buckets_status()
                if status == 200:
                    return
                problem = f"ListBuckets answered {status}"
            except Exception as exc:  # connection refused/reset while it settles: retried
                problem = repr(exc)
            self._check_alive("rgw", problem, deadline)

    # -- state file ---------------------------------------------------------------------------------
    def state(self) -> dict:
        return {"endpoint": self.endpoint, "access_key": self.access_key, "secret_key": self.secret_key,
                "conf": self.conf, "workdir": self.workdir, "started_in": round(self.started_in or 0, 1),
                "daemons": {name: {"pid": pid, "start_time": process_start_time(pid)}
                            for name, pid in self.pids.items()}}


class SharedCluster(ClusterAccess):
    """A cluster another process supervises, read from its state file (see the module doc)."""

    def __init__(self, state: dict, path: str):
        self.path = path
        self.state = state
        self.endpoint, self.access_key = state["endpoint"], state["access_key"]
        self.secret_key, self.conf, self.workdir = state["secret_key"], state["conf"], state["workdir"]

    def problem(self) -> str | None:
        """Why this cluster cannot be used (supervisor or a daemon gone, RGW not answering), or None."""
        if not same_process(self.state.get("supervisor")):
            return f"its supervisor (pid {self.state.get('supervisor', {}).get('pid')}) is gone"
        for name, entry in self.state["daemons"].items():
            if not same_process(entry):
                return f"its {name} (pid {entry['pid']}) is gone"
        try:
            status = self.list_buckets_status()
        except Exception as exc:
            return f"radosgw at {self.endpoint} does not answer ({exc!r})"
        return None if status == 200 else f"radosgw at {self.endpoint} answered ListBuckets with {status}"


def read_state(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def write_state(path: str, state: dict) -> None:
    """Atomically (rename), 0600: the file holds the S3 user's secret."""
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(state, f, indent=1)
    os.replace(tmp, path)


_own_cluster: RgwCluster | None = None


def cluster_for_tests() -> ClusterAccess:
    """The cluster a test uses: the run's shared one (ERP_RGW_STATE, which must be live), else one
    this process starts on first use and stops at exit. Raises RgwError (a failure, not a skip)."""
    global _own_cluster
    path = os.environ.get(STATE_ENV)
    if path:
        state = read_state(path)
        if state is None:
            raise RgwError(f"{STATE_ENV}={path}: no such file; the ctest fixture `rgw_up` did not run or "
                           "its cluster stopped (hint: the test needs FIXTURES_REQUIRED rgw in CMakeLists.txt)")
        if state.get("failed"):
            raise RgwError(f"the shared RGW cluster ({path}) failed: {state['failed']}")
        shared = SharedCluster(state, path)
        problem = shared.problem()
        if problem is not None:
            raise RgwError(f"the shared RGW cluster ({path}) is not usable: {problem}")
        return shared
    if _own_cluster is None:
        cluster = RgwCluster()
        try:
            cluster.start()
        except BaseException:
            sys.stderr.write(f"--- rgw cluster log tail ---\n{cluster.log_text()[-6000:]}\n")
            cluster.stop()
            raise
        atexit.register(cluster.stop)
        _own_cluster = cluster
    return _own_cluster


# ---------------------------------------------------------------------------------------------
# The supervisor and the ctest fixture commands
# ---------------------------------------------------------------------------------------------

def serve(state_path: str, watch_pid: int) -> int:
    """Starts a cluster, writes the state file, and stops the cluster (removing the file) on
    SIGTERM/SIGINT or when `watch_pid` exits. A daemon that dies turns the file into
    {"failed": ...} so tests name it, and the supervisor stops the rest."""
    stop_r, stop_w = os.pipe()
    os.set_blocking(stop_w, False)
    signal.set_wakeup_fd(stop_w)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: None)  # the wakeup fd carries it
    try:
        watched = os.pidfd_open(watch_pid)
    except ProcessLookupError:
        print(f"rgw supervisor: the process to watch ({watch_pid}) is already gone", file=sys.stderr)
        return 1
    me = {"pid": os.getpid(), "start_time": process_start_time(os.getpid())}
    cluster = RgwCluster()
    try:
        try:
            cluster.start()
        except BaseException as exc:
            write_state(state_path, {"supervisor": me, "failed": f"start: {exc}"})
            print(f"rgw supervisor: start failed: {exc}", file=sys.stderr)
            return 1
        state = cluster.state()
        state.update(supervisor=me, watched={"pid": watch_pid, "start_time": process_start_time(watch_pid)},
                     rss_kib_at_start=cluster.rss_kib())
        write_state(state_path, state)
        print(f"rgw supervisor: cluster up in {cluster.started_in:.1f}s at {cluster.endpoint}, "
              f"{state['rss_kib_at_start'] // 1024} MiB resident", file=sys.stderr, flush=True)
        peak = state["rss_kib_at_start"]
        while True:
            # Wakes for a signal, the watched process's exit, or every 2 s to sample the daemons'
            # memory and see that they are alive (a daemon's death is not otherwise signalled).
            ready, _, _ = select.select([stop_r, watched], [], [], 2.0)
            peak = max(peak, cluster.rss_kib())
            if stop_r in ready:
                why = "stop requested"
                break
            if watched in ready:
                why = f"the watched process {watch_pid} exited"
                break
            dead = cluster.dead_daemon()
            if dead is not None:
                write_state(state_path, {"supervisor": me, "failed": dead})
                print(f"rgw supervisor: {dead}", file=sys.stderr, flush=True)
                return 1
        print(f"rgw supervisor: {why}; peak resident {peak // 1024} MiB; stopping", file=sys.stderr, flush=True)
        try:
            os.unlink(state_path)
        except FileNotFoundError:
            pass
        return 0
    finally:
        cluster.stop()
        os.close(watched)


def _stop_supervisor(state: dict, timeout: float = 60.0) -> str | None:
    """SIGTERM to the supervisor a state file names, if it is that process; waits for it and its
    daemons to be gone. Returns a problem, or None."""
    sup = state.get("supervisor")
    if same_process(sup):
        os.kill(sup["pid"], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    entries = [sup] + list(state.get("daemons", {}).values())
    while any(same_process(e) for e in entries):
        if time.monotonic() > deadline:
            return f"still running after {timeout:.0f}s: {[e['pid'] for e in entries if same_process(e)]}"
        time.sleep(0.1)  # polling /proc for the exits, bounded by the deadline
    return None


def up(state_path: str) -> int:
    os.makedirs(os.path.dirname(os.path.abspath(state_path)), exist_ok=True)
    watch_pid = os.getppid()  # ctest: the supervisor stops the cluster when it exits
    old = read_state(state_path)
    if old is not None:
        sup = old.get("supervisor")
        if same_process(sup) and same_process(old.get("watched")):
            print(f"rgw_up: {state_path} belongs to a live supervisor (pid {sup['pid']}) of a live run "
                  f"(pid {old['watched']['pid']}); refusing to take it over", file=sys.stderr)
            return 1
        problem = _stop_supervisor(old)
        if problem is not None:
            print(f"rgw_up: the leftover cluster of {state_path} does not stop: {problem}", file=sys.stderr)
            return 1
        if old.get("workdir"):
            shutil.rmtree(old["workdir"], ignore_errors=True)
        os.unlink(state_path)
        print(f"rgw_up: removed a leftover cluster ({old.get('workdir')})", file=sys.stderr)
    log_path = os.path.join(os.path.dirname(os.path.abspath(state_path)), "supervisor.log")
    began = time.monotonic()
    with open(log_path, "ab") as log:
        sup = subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve", "--state", state_path,
                                "--watch-pid", str(watch_pid)],
                               stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    deadline = began + 4 * START_TIMEOUT
    while (state := read_state(state_path)) is None or state.get("supervisor", {}).get("pid") != sup.pid:
        if sup.poll() is not None or time.monotonic() > deadline:
            if sup.poll() is None:
                sup.kill()
                sup.wait()
            print(f"rgw_up: the supervisor wrote no state (exit {sup.poll()})\n{_tail(log_path, 8000)}",
                  file=sys.stderr)
            return 1
        time.sleep(0.1)  # polling for the state file, bounded by the deadline and the supervisor's life
    if state.get("failed"):
        sup.wait(STOP_GRACE * 3)
        print(f"rgw_up: the cluster did not start: {state['failed']}\n{_tail(log_path, 8000)}", file=sys.stderr)
        return 1
    print(f"rgw_up: cluster up in {state['started_in']}s ({time.monotonic() - began:.1f}s with the "
          f"supervisor), {state['rss_kib_at_start'] // 1024} MiB resident, radosgw at {state['endpoint']}, "
          f"state in {state_path}")
    return 0


def down(state_path: str) -> int:
    state = read_state(state_path)
    if state is None:
        print(f"rgw_down: no state file {state_path}: nothing running")
        return 0
    began = time.monotonic()
    problem = _stop_supervisor(state)
    if problem is not None:
        print(f"rgw_down: {problem}", file=sys.stderr)
        return 1
    if os.path.exists(state_path):  # a supervisor that failed leaves its verdict behind
        os.unlink(state_path)
    if state.get("failed"):
        print(f"rgw_down: the cluster failed during the run: {state['failed']}", file=sys.stderr)
        return 1
    if state.get("workdir") and os.path.exists(state["workdir"]):
        print(f"rgw_down: {state['workdir']} was left behind", file=sys.stderr)
        return 1
    log_path = os.path.join(os.path.dirname(os.path.abspath(state_path)), "supervisor.log")
    print(f"rgw_down: stopped in {time.monotonic() - began:.1f}s\n{_tail(log_path, 600)}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up", "down", "serve"])
    parser.add_argument("--state", required=True, help="the state file (under the build dir)")
    parser.add_argument("--watch-pid", type=int, help="serve: stop when this process exits")
    args = parser.parse_args(argv)
    if args.command == "up":
        return up(args.state)
    if args.command == "down":
        return down(args.state)
    if args.watch_pid is None:
        parser.error("serve needs --watch-pid")
    return serve(args.state, args.watch_pid)


if __name__ == "__main__":
    sys.exit(main())
