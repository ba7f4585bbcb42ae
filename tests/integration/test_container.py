"""Issue 10: the container image, built from the Containerfile and run for real with podman.

There is no Docker engine here, but rootful podman works:

1. A Debian 12 root filesystem made with `mmdebstrap --variant=minbase bookworm` (with the same
   docs/man/locale exclusions as debian:12-slim) stands in for `debian:12-slim`. The tarball is
   cached between runs on this machine under ERP_TEST_IMAGE_CACHE (default
   /var/cache/erp-backup-test), its name keyed by the mmdebstrap arguments; a missing one is made
   again. Delete it to pick up newer Debian packages.
2. `podman import` makes it an image, `podman build --isolation=chroot --network=host` builds the
   Containerfile on it from the current source. Podman's layer cache is kept between runs: a
   layer is reused only when its instruction and the bytes it copies are unchanged, so an edit
   under src/ recompiles and an unchanged tree costs seconds.
3. The image runs with `podman --runtime runc --cgroup-manager cgroupfs run --read-only
   --read-only-tmpfs=false` (podman otherwise mounts writable tmpfs on /tmp, /var/tmp and /run,
   which Kubernetes' readOnlyRootFilesystem does not), as its own user and with no writable
   mount: `--help`, the PostgreSQL clients, and backup + verify + status against the test
   PostgreSQL and S3 front on the host's loopback (`--network=host`), the documents tree
   bind-mounted read-only. The sandbox needs runc (crun rejects its hybrid cgroups) and explicit
   ulimits (its hard limits are below podman's defaults).

Secrets reach the container as `-e NAME` with the value in podman's environment, never argv.
The image size is printed and must stay under 150 MiB.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets as _secrets
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from docs_fixture import generate_documents_tree  # noqa: E402
from erp_cli import clean_env  # noqa: E402
from erp_fixture import generate_erp_database  # noqa: E402
from postgres_server import PostgresServer  # noqa: E402
from s3_servers import S3Front  # noqa: E402

SOURCE_DIR = os.path.abspath(os.environ.get("ERP_SOURCE_DIR")
                             or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CACHE_DIR = os.environ.get("ERP_TEST_IMAGE_CACHE", "/var/cache/erp-backup-test")
IMAGE = "localhost/erp-backup-test:latest"
USER_ID = 10001  # the Containerfile's USER
MAX_IMAGE_BYTES = 150 * 1024 * 1024
ENV_NAME = "container"
PREFIX = f"erp/{ENV_NAME}/"
STOP_BOUND = 10.0  # seconds from `podman stop` to the exit (SIGTERM handled by PID 1 itself)
SYNC_TIMEOUT = 120.0

# podman's global options this sandbox needs; every podman call here uses them. A machine whose
# /var/lib/containers cannot hold overlayfs (itself on overlayfs) sets
# ERP_TEST_PODMAN_STORAGE_DRIVER=vfs.
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
if os.environ.get("ERP_TEST_PODMAN_STORAGE_DRIVER"):
    PODMAN += ["--storage-driver", os.environ["ERP_TEST_PODMAN_STORAGE_DRIVER"]]
RUN_FLAGS = ["--rm", "--read-only", "--read-only-tmpfs=false", "--network=host",
             "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]

# What debian:12-slim leaves out (debuerreotype's slimify list), so the stand-in base is as lean.
SLIM_DPKG_OPTIONS = [
    "path-exclude=/usr/share/doc/*", "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/man/*", "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/locale/*", "path-exclude=/usr/share/lintian/*",
]
# The merged-usr hook sets up /usr-merge itself, as debuerreotype does: by default mmdebstrap
# installs the usrmerge package for it, which brings ~30 MB of Perl that debian:12-slim has not.
MMDEBSTRAP_ARGS = [
    "--variant=minbase", "--format=tar", "--aptopt=Acquire::Languages \"none\"",
    "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
    *[f"--dpkgopt={option}" for option in SLIM_DPKG_OPTIONS],
    "bookworm", "{output}",
    "deb http://deb.debian.org/debian bookworm main",
    "deb http://deb.debian.org/debian bookworm-updates main",
    "deb http://deb.debian.org/debian-security bookworm-security main",
]


def log(message: str) -> None:
    print(f"[test_container] {message}", file=sys.stderr, flush=True)


def run(argv: list[str], timeout: float = 600, env: dict | None = None,
        check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, capture_output=True, timeout=timeout, env=env,
                            stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv[:6])} ... exited with {result.returncode}:\n"
                             f"{result.stdout.decode(errors='replace')[-2000:]}\n"
                             f"{result.stderr.decode(errors='replace')[-4000:]}")
    return result


def project_version() -> str:
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
        match = re.search(r"project\(erp-backup VERSION ([0-9.]+)", f.read())
    if not match:
        raise AssertionError("no `project(erp-backup VERSION x.y.z` in CMakeLists.txt")
    return match.group(1)


def base_tarball() -> str:
    """The cached mmdebstrap tarball for MMDEBSTRAP_ARGS, made when missing (under a lock, so
    two runs on one machine make it once; written to a temporary name, then renamed)."""
    key = hashlib.sha256(json.dumps(MMDEBSTRAP_ARGS).encode()).hexdigest()[:16]
    os.makedirs(CACHE_DIR, exist_ok=True)
    tarball = os.path.join(CACHE_DIR, f"debian12-minbase-{key}.tar")
    with open(os.path.join(CACHE_DIR, "mmdebstrap.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(tarball):
            log(f"base tarball cached: {tarball}")
            return tarball
        # mmdebstrap builds in a temporary directory of its own and writes the tarball last.
        partial = f"{tarball.removesuffix('.tar')}.partial-{os.getpid()}.tar"
        started = time.monotonic()
        argv = ["mmdebstrap", *[a.replace("{output}", partial) for a in MMDEBSTRAP_ARGS]]
        try:
            run(argv, timeout=1200)
            os.replace(partial, tarball)
        finally:
            if os.path.isfile(partial):
                os.unlink(partial)
        log(f"mmdebstrap made {tarball} in {time.monotonic() - started:.0f} s")
    return tarball


def base_image() -> str:
    """The tarball imported as an image tagged by its key and mtime (so a tarball made again
    is imported again)."""
    tarball = base_tarball()
    key = os.path.basename(tarball).removesuffix(".tar").rsplit("-", 1)[1]
    tag = f"localhost/erp-backup-test-base:{key}-{int(os.stat(tarball).st_mtime)}"
    if run(PODMAN + ["image", "exists", tag], check=False).returncode != 0:
        started = time.monotonic()
        run(PODMAN + ["import", tarball, tag])
        log(f"imported {tag} in {time.monotonic() - started:.0f} s")
    return tag


def build_image(base: str) -> None:
    started = time.monotonic()
    result = run(PODMAN + ["build", "--isolation=chroot", "--network=host", "--layers",
                           "--build-arg", f"BASE_IMAGE={base}",
                           "--build-arg", f"VERSION={project_version()}",
                           "-f", os.path.join(SOURCE_DIR, "Containerfile"), "-t", IMAGE, SOURCE_DIR],
                 timeout=3600)
    cached = result.stdout.decode(errors="replace").count("--> Using cache")
    log(f"podman build: {time.monotonic() - started:.0f} s ({cached} steps from the layer cache)")


class ContainerImage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.started = time.monotonic()
        # The servers and fixtures first, so a broken test environment fails before the build.
        # Class cleanups run even when setUpClass fails (the build, say); tearDownClass would not.
        cls.workdir = tempfile.mkdtemp(prefix="erp-container-test-")
        cls.addClassCleanup(shutil.rmtree, cls.workdir, ignore_errors=True)
        cls.pg = PostgresServer()
        cls.pg.__enter__()
        cls.addClassCleanup(cls.pg.__exit__, None, None, None)
        cls.front = S3Front(backend="moto")
        cls.front.__enter__()
        cls.addClassCleanup(cls.front.__exit__, None, None, None)
        cls.pg.create_database("dolibarr")
        generate_erp_database(cls.pg, "dolibarr", scale="tiny")
        cls.docs = os.path.join(cls.workdir, "documents")
        # Owned by the image's user, as a PVC's files would be for the pod's fsGroup/runAsUser.
        cls.docs_summary = generate_documents_tree(cls.docs, owner=(USER_ID, USER_ID))
        build_image(base_image())
        size = int(run(PODMAN + ["image", "inspect", "--format", "{{.Size}}", IMAGE]).stdout)
        cls.image_size = size
        log(f"image size: {size} bytes ({size / 2**20:.1f} MiB)")

    @classmethod
    def tearDownClass(cls):
        cls.front.assert_clean()
        log(f"whole class: {time.monotonic() - cls.started:.0f} s")

    def setUp(self):
        self.front.set_faults([])

    def tearDown(self):
        self.front.assert_no_rejections()

    # -- helpers ---------------------------------------------------------------------------------
    def secrets(self) -> list[str]:
        return self.front.secrets() + self.pg.secrets()

    def settings(self, **extra) -> dict:
        settings = {**self.front.env(), **self.pg.env("dolibarr"), "BACKUP_ENV": ENV_NAME,
                    "DOCUMENTS_DIR": "/documents", "S3_PART_SIZE": "5MiB",
                    "S3_STALL_TIMEOUT": "3s", "S3_MAX_ATTEMPTS": "3",
                    "PRUNE_AFTER_BACKUP": "false"}
        settings.update(extra)
        return settings

    def podman_run(self, args: list[str], settings: dict | None = None, entrypoint: str | None = None,
                   name: str | None = None, popen: bool = False):
        """`podman run` of the image with RUN_FLAGS; settings go in as `-e NAME` (the values in
        podman's own environment, so no secret is on a command line); the documents tree is
        the only mount, read-only."""
        settings = settings or {}
        argv = PODMAN + ["run", *RUN_FLAGS, "-v", f"{self.docs}:/documents:ro"]
        if name:
            argv += ["--name", name]
        if entrypoint:
            argv += ["--entrypoint", entrypoint]
        for key in settings:
            argv += ["-e", key]
        argv += [IMAGE, *args]
        for secret in self.secrets():
            self.assertNotIn(secret, " ".join(argv))
        env = clean_env(settings)
        if popen:
            return subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        result = subprocess.run(argv, env=env, capture_output=True, timeout=600,
                                stdin=subprocess.DEVNULL)
        for secret in self.secrets():
            self.assertNotIn(secret.encode(), result.stdout + result.stderr, "a secret reached the output")
        return result

    def keys(self) -> list[str]:
        client = self.front.boto3_client()
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=self.front.bucket, Prefix=PREFIX)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def clear_bucket(self):
        client = self.front.boto3_client()
        for key in self.keys():
            client.delete_object(Bucket=self.front.bucket, Key=key)

    @staticmethod
    def text(result) -> str:
        return (result.stdout + result.stderr).decode(errors="replace")

    # -- the image itself -------------------------------------------------------------------------
    def test_image_is_under_150_mib(self):
        print(f"\nimage size: {self.image_size / 2**20:.1f} MiB", file=sys.stderr)
        self.assertLess(self.image_size, MAX_IMAGE_BYTES)

    def test_configuration_user_labels_entrypoint(self):
        config = json.loads(run(PODMAN + ["image", "inspect", IMAGE]).stdout)[0]["Config"]
        self.assertEqual(config["User"], f"{USER_ID}:{USER_ID}")
        self.assertEqual(config["Entrypoint"], ["/usr/local/bin/entrypoint"])
        labels = config["Labels"]
        self.assertEqual(labels["org.opencontainers.image.version"], project_version())
        self.assertEqual(labels["org.opencontainers.image.title"], "erp-backup")
        for label in ("source", "licenses", "description"):
            self.assertIn(f"org.opencontainers.image.{label}", labels)

    def test_no_arguments_and_help_print_usage(self):
        for args in ([], ["--help"]):
            result = self.podman_run(args)
            self.assertEqual(result.returncode, 0, self.text(result))
            self.assertIn("usage: erp-backup COMMAND", result.stdout.decode())
        version = self.podman_run(["version"])
        self.assertEqual(version.stdout.decode().strip(), f"erp-backup {project_version()}")

    def test_postgresql_clients_run(self):
        for tool in ("pg_dump", "pg_restore", "psql"):
            result = self.podman_run(["--version"], entrypoint=tool)
            self.assertEqual(result.returncode, 0, self.text(result))
            self.assertRegex(result.stdout.decode(), rf"^{tool} \(PostgreSQL\) 15\.")

    def test_runs_as_non_root_with_nothing_writable(self):
        # Inside: the numeric user, no writable place (root, /tmp, the documents mount), and
        # neither a compiler nor the Perl that Debian's pg_wrapper would have pulled in.
        script = ("id -u; id -g; for d in / /tmp /var/tmp /run /home /documents; do "
                  "if touch \"$d/.w\" 2>/dev/null; then echo \"writable:$d\"; fi; done; "
                  "dpkg-query -W -f '${Package}\\n'")
        result = self.podman_run(["-c", script], entrypoint="/bin/sh")
        self.assertEqual(result.returncode, 0, self.text(result))
        lines = result.stdout.decode().split()
        self.assertEqual(lines[:2], [str(USER_ID), str(USER_ID)], self.text(result))
        self.assertEqual([line for line in lines if line.startswith("writable:")], [])
        packages = set(lines[2:])
        self.assertIn("libpq5", packages)
        unwanted = {"gcc", "g++", "cpp", "cmake", "make", "clang-format", "perl", "perl-modules-5.36",
                    "postgresql-client-common", "postgresql-client-15", "libpq-dev"}
        self.assertEqual(packages & unwanted, set())

    # -- the job ----------------------------------------------------------------------------------
    def test_backup_verify_status(self):
        self.clear_bucket()
        never = self.podman_run(["status"], self.settings())
        self.assertEqual(never.returncode, 1, self.text(never))

        backup = self.podman_run(["backup"], self.settings())
        self.assertEqual(backup.returncode, 0, self.text(backup))
        keys = self.keys()
        manifests = [k for k in keys if "/manifests/" in k]
        self.assertEqual(len(manifests), 1, keys)
        self.assertIn(PREFIX + "last-success.json", keys)
        manifest = json.loads(self.front.boto3_client().get_object(
            Bucket=self.front.bucket, Key=manifests[0])["Body"].read())
        self.assertEqual(manifest["status"], "complete")
        for stream in ("db", "docs"):
            self.assertIn(manifest["streams"][stream]["key"], keys)
            self.assertGreater(manifest["streams"][stream]["bytes"], 0)

        verify = self.podman_run(["verify", "latest"], self.settings())
        self.assertEqual(verify.returncode, 0, self.text(verify))

        status = self.podman_run(["status", "--max-age", "1h"], self.settings())
        self.assertEqual(status.returncode, 0, self.text(status))
        self.assertIn(manifest["id"], status.stdout.decode())

    def test_sigterm_reaches_the_binary_as_pid_1(self):
        # Every PUT of the streams stalls (the run's lease goes through first): the job is
        # mid-backup with pg_dump running when `podman stop` sends SIGTERM from outside the
        # container, as the kubelet does.
        self.clear_bucket()
        self.front.set_faults([{"method": "PUT", "path_contains": stream, "times": -1, "action": "stall",
                                "seconds": 120} for stream in ("/db/", "/docs/")])
        since = self.front.requests()[-1]["seq"] if self.front.requests() else 0
        name = f"erp-backup-test-{_secrets.token_hex(4)}"
        job = self.podman_run(["backup"], self.settings(S3_STALL_TIMEOUT="60s"), name=name, popen=True)
        try:
            deadline = time.monotonic() + SYNC_TIMEOUT
            while not [r for r in self.front.requests(since) if r["verdict"] == "fault:stall"]:
                if job.poll() is not None:
                    self.fail(f"the job ended (status {job.returncode}) before an upload stalled:\n"
                              f"{job.stderr.read().decode(errors='replace')[-3000:]}")
                self.assertLess(time.monotonic(), deadline, "no upload reached the front")
                time.sleep(0.05)  # polling the front's record, bounded by the deadline
            # The entrypoint exec'd: PID 1 of the container is erp-backup itself.
            host_pid = run(PODMAN + ["inspect", "--format", "{{.State.Pid}}", name]).stdout.decode().strip()
            with open(f"/proc/{host_pid}/status") as f:
                status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
            self.assertEqual(status["Name"], "erp-backup")
            self.assertEqual(status["NSpid"].split()[-1], "1")
            self.assertEqual(status["Uid"].split()[0], str(USER_ID))
            children = []  # each thread lists the children it started
            for task in os.listdir(f"/proc/{host_pid}/task"):
                with open(f"/proc/{host_pid}/task/{task}/children") as f:
                    children += f.read().split()
            child_names = []
            for child in children:
                with open(f"/proc/{child}/comm") as f:
                    child_names.append(f.read().strip())
            self.assertIn("pg_dump", child_names)

            sent = time.monotonic()
            stop = run(PODMAN + ["stop", "--time", "30", name], timeout=60)
            job.wait(timeout=60)
            elapsed = time.monotonic() - sent
        finally:
            if job.poll() is None:
                run(PODMAN + ["kill", name], check=False)
                job.wait(timeout=60)
            self.front.set_faults([])
        stderr = job.stderr.read()
        job.stdout.close()
        job.stderr.close()
        for secret in self.secrets():
            self.assertNotIn(secret.encode(), stderr)
        self.assertEqual(stop.returncode, 0)
        self.assertEqual(job.returncode, 143, stderr.decode(errors="replace")[-3000:])
        self.assertLess(elapsed, STOP_BOUND, "SIGTERM did not stop PID 1 promptly")
        self.assertFalse([k for k in self.keys() if "/manifests/" in k], "no manifest after a stop")


if __name__ == "__main__":
    unittest.main()
