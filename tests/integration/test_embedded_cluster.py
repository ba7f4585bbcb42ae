"""Issue 21: the drill's own PostgreSQL (src/pg/embedded_cluster.h), against real initdb/postgres.

The driver `embedded_cluster_probe` (a test-only target beside erp-backup) starts the cluster the
way `drill` does, from DRILL_WORK_DIR / DRILL_PG_BINDIR, runs `select 1` over the socket, prints
"ready directory=... version=... select1=1" and waits for a line on stdin (stop, "stopped", exit 0)
or a signal (exit 128+N). PostgreSQL refuses root, so when this test runs as root (CI does) the
driver runs as the unprivileged `postgres` user ($ERP_TEST_PG_USER), as tests/harness/
postgres_server.py runs its servers; the refusal itself is checked by running it as root.

What must hold: the server is reachable only through its private 0700 socket directory (no TCP
listener of any of its processes); a stop, and a SIGTERM to the driver, leave no postgres process
and an empty work dir; root is a clear config error (exit 2) before anything is created; a bin dir
without the programs names DRILL_PG_BINDIR; a dead run's "erp-drill-<pid>-*" and
"erp-drill-docs-<pid>-*" directories (this user's, mode 0700) are removed by the next start. Synchronised on the driver's lines and on process exits, never on sleeps.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import unittest

BINARY = os.environ.get("ERP_BACKUP_BIN", "")
PROBE = os.path.join(os.path.dirname(BINARY), "embedded_cluster_probe")
TIMEOUT = 120  # seconds for a start or stop on a loaded 2-core machine (a hang guard)


def listening_tcp_inodes() -> set[str]:
    """Socket inodes of every TCP socket in LISTEN state (IPv4 and IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A":
                        inodes.add(fields[9])
        except FileNotFoundError:
            pass
    return inodes


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except FileNotFoundError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    return inodes


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


class EmbeddedClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.access(PROBE, os.X_OK), f"{PROBE} missing: build the embedded_cluster_probe target"
        cls.run_as = None
        if os.geteuid() == 0:
            cls.run_as = pwd.getpwnam(os.environ.get("ERP_TEST_PG_USER") or "postgres")

    def setUp(self):
        self.work_dir = tempfile.mkdtemp(prefix="erp-drill-test-")
        self.addCleanup(shutil.rmtree, self.work_dir, ignore_errors=True)
        if self.run_as is not None:
            os.chown(self.work_dir, self.run_as.pw_uid, self.run_as.pw_gid)

    def env(self, **extra: str) -> dict[str, str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DRILL_WORK_DIR": self.work_dir}
        env.update(extra)
        return env

    def start(self, as_root: bool = False, **extra: str) -> subprocess.Popen:
        kwargs = {}
        if self.run_as is not None and not as_root:
            kwargs = dict(user=self.run_as.pw_uid, group=self.run_as.pw_gid, extra_groups=[])
        probe = subprocess.Popen([PROBE], env=self.env(**extra), stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 cwd="/", **kwargs)
        self.addCleanup(self.reap, probe)
        return probe

    @staticmethod
    def reap(probe: subprocess.Popen) -> None:
        if probe.poll() is None:
            probe.kill()
        probe.communicate(timeout=TIMEOUT)

    def ready(self, probe: subprocess.Popen) -> dict[str, str]:
        line = probe.stdout.readline()
        if not line.startswith("ready "):
            _, err = probe.communicate(timeout=TIMEOUT)
            self.fail(f"no ready line (exit {probe.returncode}): {line!r} {err}")
        return dict(part.split("=", 1) for part in line.split()[1:])

    def postmaster_pid(self, directory: str) -> int:
        with open(os.path.join(directory, "data", "postmaster.pid")) as f:
            return int(f.readline())

    def assert_work_dir_empty(self):
        self.assertEqual(os.listdir(self.work_dir), [])

    def test_serves_its_socket_only_and_a_stop_leaves_nothing(self):
        # A dead run's directories, its server long gone: removed by this start. As mkdtemp made
        # them (mode 0700; the sweep touches nothing else); the documents' one with its lock file
        # (free: its run is gone), the cluster's without one (a run before locks: its pid decides).
        leftover = os.path.join(self.work_dir, f"erp-drill-{dead_pid()}-abc123")
        docs_leftover = os.path.join(self.work_dir, f"erp-drill-docs-{dead_pid()}-def456")
        os.makedirs(os.path.join(leftover, "data"))
        os.makedirs(docs_leftover)
        for name in ("erp-drill.lock", "payroll.pdf"):
            with open(os.path.join(docs_leftover, name), "w"):
                pass
        os.chmod(leftover, 0o700)
        os.chmod(docs_leftover, 0o700)
        if self.run_as is not None:  # a dead run of the same user left it
            for path in (leftover, os.path.join(leftover, "data"), docs_leftover,
                         *(os.path.join(docs_leftover, n) for n in os.listdir(docs_leftover))):
                os.chown(path, self.run_as.pw_uid, self.run_as.pw_gid)
        probe = self.start()
        info = self.ready(probe)
        self.assertEqual(info["select1"], "1")
        self.assertGreaterEqual(int(info["version"]), 12)
        directory = info["directory"]
        self.assertEqual(os.path.dirname(directory), self.work_dir)
        self.assertTrue(os.path.basename(directory).startswith(f"erp-drill-{probe.pid}-"))
        self.assertFalse(os.path.exists(leftover), "the dead run's directory was left")
        self.assertFalse(os.path.exists(docs_leftover), "the dead run's documents were left")
        mode = os.stat(directory).st_mode
        self.assertEqual(stat.S_IMODE(mode), 0o700)
        self.assertTrue(stat.S_ISSOCK(os.stat(os.path.join(directory, ".s.PGSQL.5432")).st_mode))
        pid = self.postmaster_pid(directory)
        self.assertEqual(socket_inodes(pid) & listening_tcp_inodes(), set(),
                         "the drill's postmaster listens on TCP")

        out, err = probe.communicate("stop\n", timeout=TIMEOUT)
        self.assertEqual(probe.returncode, 0, err)
        self.assertIn("stopped", out)
        self.assertIn("removed the directory a stopped drill left", err)
        self.assertFalse(alive(pid), "postgres still runs after the stop")
        self.assert_work_dir_empty()

    def test_sigterm_to_the_driver_stops_the_cluster_and_empties_the_work_dir(self):
        probe = self.start()
        directory = self.ready(probe)["directory"]
        pid = self.postmaster_pid(directory)
        probe.send_signal(signal.SIGTERM)
        _, err = probe.communicate(timeout=TIMEOUT)
        self.assertEqual(probe.returncode, 128 + signal.SIGTERM, err)
        self.assertFalse(alive(pid), "postgres outlived the driver's SIGTERM")
        self.assert_work_dir_empty()

    def test_root_is_a_config_error_before_anything_is_created(self):
        self.assertEqual(os.geteuid(), 0, "this test runs as root (as CI does) to check the refusal")
        probe = self.start(as_root=True)
        out, err = probe.communicate(timeout=TIMEOUT)
        self.assertEqual(probe.returncode, 2, err)
        self.assertIn("refuses to run as root (uid 0)", err)
        self.assertIn("DRILL_TARGET=restore", err)
        self.assertEqual(out, "")
        self.assert_work_dir_empty()

    def test_a_bin_dir_without_the_programs_names_drill_pg_bindir(self):
        empty_bin = os.path.join(self.work_dir, "bin")
        os.mkdir(empty_bin)
        probe = self.start(DRILL_PG_BINDIR=empty_bin)
        _, err = probe.communicate(timeout=TIMEOUT)
        self.assertEqual(probe.returncode, 2, err)
        self.assertIn(f"DRILL_PG_BINDIR={empty_bin} does not hold both initdb and postgres", err)
        self.assertEqual(os.listdir(self.work_dir), ["bin"])

    def test_a_missing_work_dir_names_drill_work_dir(self):
        missing = os.path.join(self.work_dir, "missing")
        probe = self.start(DRILL_WORK_DIR=missing)
        _, err = probe.communicate(timeout=TIMEOUT)
        self.assertEqual(probe.returncode, 2, err)
        self.assertIn(f"DRILL_WORK_DIR {missing} is not an existing directory", err)


if __name__ == "__main__":
    unittest.main()
