"""`--help` and `-h` on every command and subcommand, run by the real binary with an empty
environment: exit 0, the usage on stdout, nothing on stderr (no setting is read, so none is
missing), and nothing contacted.

The S3 endpoint points at a listening socket this test owns; any connection the binary made
would sit in its accept queue, so a non-blocking accept() after the runs proves there was none.
Also: `restore` alone lists its subcommands (exit 2), and `rm -- --help` is no help request
(it fails on the missing settings instead, exit 2, without contacting anything).
"""

from __future__ import annotations

import socket
import subprocess
import unittest

from erp_cli import BINARY

COMMANDS = [
    ["backup"], ["prune"], ["list"], ["restore"], ["restore", "db"], ["restore", "docs"],
    ["refresh-sandbox"], ["doctor"], ["status"], ["verify"], ["put"], ["cat"], ["ls"], ["rm"],
    ["presign"], ["drill"],
]


class HelpWithoutSettings(unittest.TestCase):
    def setUp(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(self.listener.close)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.setblocking(False)
        port = self.listener.getsockname()[1]
        # Nothing but where the store would be: no bucket, no credentials, no PG*.
        self.envs = [{}, {"AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}"}]

    def run_erp(self, args, env):
        return subprocess.run([BINARY, *args], env=env, capture_output=True, timeout=60)

    def assert_nobody_connected(self):
        with self.assertRaises(BlockingIOError, msg="erp-backup connected to the endpoint"):
            connection, _ = self.listener.accept()
            connection.close()

    def test_every_command_and_subcommand_prints_its_help(self):
        for env in self.envs:
            for command in COMMANDS:
                for flag in ("--help", "-h"):
                    with self.subTest(command=command, flag=flag, env=sorted(env)):
                        result = self.run_erp([*command, flag], env)
                        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
                        self.assertEqual(result.stderr, b"")
                        out = result.stdout.decode()
                        self.assertTrue(out.startswith("usage: erp-backup " + " ".join(command)), out)
                        self.assertIn("exit codes:", out)
        self.assert_nobody_connected()

    def test_the_global_usage_is_help_on_stdout(self):
        for args in (["--help"], ["-h"], ["help"]):
            with self.subTest(args=args):
                result = self.run_erp(args, {})
                self.assertEqual(result.returncode, 0)
                self.assertEqual(result.stderr, b"")
                out = result.stdout.decode()
                self.assertIn("usage: erp-backup COMMAND [ARGS]", out)
                for command in COMMANDS:
                    if command != ["restore"]:
                        self.assertIn("\n  " + " ".join(command) + " ", out)
                self.assertIn("exit codes: 0 ok, 1 failed, 2 usage/configuration, 3 partial", out)

    def test_restore_alone_lists_its_subcommands_and_exits_2(self):
        result = self.run_erp(["restore"], {})
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, b"")
        err = result.stderr.decode()
        self.assertIn("usage: erp-backup restore SUBCOMMAND", err)
        self.assertIn("restore db", err)
        self.assertIn("restore docs", err)

    def test_after_a_double_dash_help_is_a_key(self):
        env = self.envs[1]
        result = self.run_erp(["rm", "--", "--help"], env)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, b"")
        self.assertIn(b"missing S3_BUCKET", result.stderr)
        self.assert_nobody_connected()

    def test_an_unknown_flag_names_the_nearest_before_any_setting(self):
        result = self.run_erp(["prune", "--dry-rn"], self.envs[1])
        self.assertEqual(result.returncode, 2)
        err = result.stderr.decode()
        self.assertIn("unknown argument '--dry-rn' (did you mean --dry-run?)", err)
        self.assertNotIn("S3_BUCKET", err)
        self.assert_nobody_connected()


if __name__ == "__main__":
    unittest.main()
