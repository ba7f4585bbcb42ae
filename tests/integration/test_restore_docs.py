"""Issue 17, work package B: `restore docs`, `verify` and `refresh-sandbox` against a real S3
server (moto behind the signature-verifying front) and a real PostgreSQL (refresh-sandbox's
database step): nothing good is ever destroyed, nothing hostile verifies.

Each test reproduces one finding of the issue with the real binary. Hostile archives are built
here with Python's tarfile and the zstd CLI and uploaded with boto3 under a real set's key, with
a manifest whose size and SHA-256 match them (only what a test says is tampered with is wrong).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import tarfile
import tempfile
import time
import unittest

from docs_fixture import describe_tree  # noqa: E402
from erp_cli import BINARY, clean_env, run_erp, wait_for_a_new_set_id  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402

ENV_NAME = "prod"
PREFIX = f"erp/{ENV_NAME}/"
MTIME = 1700000000


def write(path: str, content: bytes | str, mode: int = 0o644) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content.encode() if isinstance(content, str) else content)
    os.chmod(path, mode)


def read(path: str) -> str:
    with open(path) as f:
        return f.read()


def tar_of(entries: list[dict]) -> bytes:
    """A pax tar of `entries`: {"name", "type": file|dir|symlink|hardlink, "data", "link", "mode"}."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for e in entries:
            info = tarfile.TarInfo(e["name"])
            info.mtime = MTIME
            kind = e.get("type", "file")
            info.mode = e.get("mode", 0o755 if kind == "dir" else 0o644)
            data = e.get("data", b"")
            if kind == "file":
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE}[kind]
            info.linkname = e.get("link", "")
            tar.addfile(info)
    return out.getvalue()


def counts_of(entries: list[dict]) -> dict:
    kinds = [e.get("type", "file") for e in entries]
    return {"files": kinds.count("file"), "directories": kinds.count("dir"),
            "symlinks": kinds.count("symlink"), "hardlinks": kinds.count("hardlink"),
            "uncompressed_bytes": sum(len(e.get("data", b"")) for e in entries if e.get("type", "file") == "file")}


def zstd(data: bytes) -> bytes:
    return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True).stdout


class RestoreDocsOnMoto(IntegrationCase, unittest.TestCase):
    backend = "moto"
    workdir_prefix = "erp-restore-docs-test-"
    postgres = True  # for the db stream of refresh-sandbox's set; no test restores a database
    clear_prefix = PREFIX

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pg.create_database("dolibarr")
        cls.pg.psql("dolibarr", "create table llx_societe (rowid int primary key, nom text)")

    # -- helpers ---------------------------------------------------------------------------------
    def env(self, docs: str, **extra) -> dict:
        settings = {**self.front.env(), **self.pg.env("dolibarr"), "BACKUP_ENV": ENV_NAME,
                    "DOCUMENTS_DIR": docs, "S3_PART_SIZE": "5MiB", "PRUNE_AFTER_BACKUP": "false"}
        settings.update(extra)
        return clean_env({k: v for k, v in settings.items() if v is not None})

    def erp(self, args: list[str], docs: str, **extra):
        return run_erp(args, self.env(docs, **extra), self.secrets(), timeout=300)

    def tree(self, name: str, files: dict) -> str:
        """A documents tree under the workdir: {relative path: content or (content, mode)}."""
        root = os.path.join(self.workdir, f"{name}-{time.monotonic_ns()}")
        os.makedirs(root)
        for rel, content in files.items():
            data, mode = content if isinstance(content, tuple) else (content, 0o644)
            write(os.path.join(root, rel), data, mode)
        return root

    def backup_docs(self, docs: str, **extra) -> dict:
        result = self.erp(["backup", "--only", "docs"], docs, **extra)
        wait_for_a_new_set_id(result)
        self.assert_exit(result, 0)
        return self.newest_manifest()

    def newest_manifest(self) -> dict:
        keys = [k for k in self.keys() if "/manifests/" in k]
        return json.loads(self.get(max(keys)))

    def put(self, key: str, body: bytes) -> None:
        self.client().put_object(Bucket=self.front.bucket, Key=key, Body=body)

    def put_manifest(self, manifest: dict) -> None:
        self.put(f"{PREFIX}manifests/{manifest['id']}.json", json.dumps(manifest).encode())

    def replace_docs(self, manifest: dict, stored: bytes, counts: dict | None = None, **fields) -> dict:
        """Stores `stored` as the set's documents object and makes the manifest match it (size,
        SHA-256, `counts`), then applies `fields` to the docs record."""
        docs = manifest["streams"]["docs"]
        self.put(docs["key"], stored)
        docs.update(bytes=len(stored), sha256=hashlib.sha256(stored).hexdigest(), **(counts or {}))
        docs.update(fields)
        self.put_manifest(manifest)
        return manifest

    def hostile_set(self, entries: list[dict], **fields) -> dict:
        """A real docs-only set whose archive is replaced by the tar of `entries`."""
        manifest = self.backup_docs(self.tree("carrier", {"carrier.txt": "x"}))
        manifest["streams"]["docs"].pop("links_outside", None)
        manifest["streams"]["docs"].pop("links_outside_total", None)
        return self.replace_docs(manifest, zstd(tar_of(entries)), counts_of(entries), **fields)

    def restore(self, docs: str, *args, **extra):
        return self.erp(["restore", "docs", *args], docs, **extra)

    def assert_exit(self, result, code: int, *needles: bytes):
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, code, output.decode(errors="replace")[-4000:])
        for needle in needles:
            self.assertIn(needle, output)

    def assert_unchanged(self, target: str, before: dict):
        after = describe_tree(target, mtime_ns=True, include_root=True)
        self.assertEqual(after, before, "the target changed")
        self.assertFalse([n for n in os.listdir(target) if n.startswith(".erp-")], os.listdir(target))

    def new_target(self) -> str:
        return os.path.join(tempfile.mkdtemp(dir=self.workdir), "target")

    # -- item 2: --force over a live tree with a corrupt object destroys nothing -------------------
    def test_a_corrupt_object_restored_over_a_live_tree_changes_nothing(self):
        good = {"facture/FA1/FA1.pdf": "invoice v1", "facture/FA2/FA2.pdf": "invoice 2 v1",
                "ecm/Archives/bilan.pdf": "bilan v1", "zz-last.txt": "last v1" * 20000}
        manifest = self.backup_docs(self.tree("good", good))
        key = manifest["streams"]["docs"]["key"]
        stored = self.get(key)
        live = self.tree("live", {**{k: v.replace("v1", "live") for k, v in good.items()},
                                  "operator-notes.txt": "not in any backup"})
        os.chmod(os.path.join(live, "ecm", "Archives"), 0o555)
        before = describe_tree(live, mtime_ns=True, include_root=True)

        # A valid archive whose SHA-256 is not the manifest's: only the end of the object tells.
        tampered = json.loads(json.dumps(manifest))
        tampered["streams"]["docs"]["sha256"] = "0" * 64
        self.put_manifest(tampered)
        result = self.restore(live, manifest["id"], "--target-dir", live, "--force")
        self.assert_exit(result, 1)
        self.assert_unchanged(live, before)
        self.assert_exit(result, 1, key.encode(), b"0" * 64, b"nothing in the target directory was changed")

        # A byte flipped in the middle of the object (same size): zstd fails mid-stream, after
        # the first files went by.
        self.put_manifest(manifest)
        flipped = bytearray(stored)
        flipped[len(flipped) * 2 // 3] ^= 0xFF
        self.put(key, bytes(flipped))
        result = self.restore(live, manifest["id"], "--target-dir", live, "--force")
        self.assert_exit(result, 1)
        self.assert_unchanged(live, before)
        self.assert_exit(result, 1, key.encode(), b"nothing in the target directory was changed")

        # Truncated: the catalog already sees the size differ.
        self.put(key, stored[: len(stored) // 2])
        self.assert_exit(self.restore(live, manifest["id"], "--target-dir", live, "--force"), 1,
                         key.encode())
        self.assert_unchanged(live, before)

        # A good object: --force replaces the archive's names and keeps the rest.
        fresh = self.backup_docs(self.tree("good-again", good))
        self.assert_exit(self.restore(live, fresh["id"], "--target-dir", live, "--force"), 0)
        self.assertEqual(read(os.path.join(live, "facture/FA1/FA1.pdf")), "invoice v1")
        self.assertEqual(read(os.path.join(live, "operator-notes.txt")), "not in any backup")
        self.assertFalse([p for p, e in describe_tree(live).items() if e["type"] == "dir" and e["mode"] == 0o700])
        self.assertFalse([n for n in os.listdir(live) if n.startswith(".erp-")])

    def test_two_restores_into_one_directory_exclude_each_other_and_a_stopped_one_leaves_nothing(self):
        docs = self.tree("concurrent", {"facture/FA1.pdf": "invoice", "ecm/a.txt": "a"})
        manifest = self.backup_docs(docs)
        target = tempfile.mkdtemp(dir=self.workdir)
        before = describe_tree(target, mtime_ns=True, include_root=True)
        # The first run's download of the archive hangs (a slow network), after it took the
        # directory's lock and made its staging directory.
        self.front.set_faults([{"method": "GET", "path_contains": "/docs/", "action": "stall", "seconds": 600}])
        first = subprocess.Popen([BINARY, "restore", "docs", manifest["id"], "--target-dir", target],
                                 env=self.env(docs, S3_STALL_TIMEOUT="10m"),  # no retry ends the hang
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while not [n for n in os.listdir(target) if n.startswith(".erp-staging-")]:
                self.assertIsNone(first.poll(), "the first restore ended early")
                self.assertLess(time.monotonic(), deadline, "the first restore never staged")
                time.sleep(0.05)
            second = self.restore(docs, manifest["id"], "--target-dir", target)
            self.assert_exit(second, 1, b"another erp-backup restore is running")
            first.send_signal(signal.SIGTERM)
            out, err = first.communicate(timeout=120)
        finally:
            if first.poll() is None:
                first.kill()
                first.communicate()
        for secret in self.secrets():
            self.assertNotIn(secret.encode(), out + err)
        self.assertEqual(first.returncode, 143, err.decode(errors="replace")[-3000:])
        self.assert_unchanged(target, before)

    # -- item 5: links that leave the tree are recorded, reported, and refused before writing -------
    def test_links_leaving_the_tree_are_recorded_reported_and_refused_before_writing(self):
        docs = self.tree("links", {"mycompany/logos/logo.png": "PNG"})
        os.symlink("/usr/share/common-licenses/GPL", os.path.join(docs, "license.txt"))
        os.symlink("../../common-logo.png", os.path.join(docs, "mycompany", "logo-rel.png"))
        os.symlink("logos/logo.png", os.path.join(docs, "mycompany", "logo-inside.png"))
        backup = self.erp(["backup", "--only", "docs"], docs)
        wait_for_a_new_set_id(backup)
        self.assert_exit(backup, 0, b"document link leaves the tree", b"license.txt",
                         b"mycompany/logo-rel.png")
        manifest = self.newest_manifest()
        docs_record = manifest["streams"]["docs"]
        self.assertEqual(docs_record["links_outside_total"], 2)
        self.assertEqual(docs_record["links_outside"],
                         [{"path": "license.txt", "target": "/usr/share/common-licenses/GPL"},
                          {"path": "mycompany/logo-rel.png", "target": "../../common-logo.png"}])

        verify = self.erp(["verify", manifest["id"]], docs)
        self.assert_exit(verify, 0, b"note:", b"2 symbolic links leave the documents tree",
                         b"license.txt", b"--keep-links-outside")

        absent = self.new_target()
        self.assert_exit(self.restore(docs, manifest["id"], "--target-dir", absent), 1,
                         b"license.txt", b"../../common-logo.png", b"nothing was written",
                         b"--keep-links-outside")
        self.assertFalse(os.path.exists(absent), "the refused restore created its target")
        empty = tempfile.mkdtemp(dir=self.workdir)
        before = describe_tree(empty, mtime_ns=True, include_root=True)
        self.assert_exit(self.restore(docs, manifest["id"], "--target-dir", empty), 1)
        self.assert_unchanged(empty, before)

        kept = self.new_target()
        self.assert_exit(self.restore(docs, manifest["id"], "--target-dir", kept, "--keep-links-outside"), 0)
        self.assertEqual(os.readlink(os.path.join(kept, "license.txt")), "/usr/share/common-licenses/GPL")
        self.assertEqual(os.readlink(os.path.join(kept, "mycompany", "logo-rel.png")), "../../common-logo.png")
        self.assertFalse(os.path.lexists(os.path.join(os.path.dirname(kept), "common-logo.png")))

    # -- item 6: the manifest's root never widens the absolute-link allowlist -----------------------
    def test_the_manifest_root_never_allows_an_absolute_link(self):
        entries = [{"name": "facture/FA1.pdf", "data": b"invoice"},
                   {"name": "passwd-link", "type": "symlink", "link": "/etc/passwd"}]
        # A manifest that lies twice: root "/" and no recorded link (as one from before issue 17).
        manifest = self.hostile_set(entries, root="/")
        target = tempfile.mkdtemp(dir=self.workdir)
        before = describe_tree(target, mtime_ns=True, include_root=True)
        self.assert_exit(self.restore(target, manifest["id"], "--target-dir", target), 1,
                         b"passwd-link", b"/etc/passwd", b"outside the target directory")
        self.assert_unchanged(target, before)
        # Recorded as the backup would record it: refused before anything is read.
        manifest["streams"]["docs"].update(links_outside=[{"path": "passwd-link", "target": "/etc/passwd"}],
                                           links_outside_total=1)
        self.put_manifest(manifest)
        self.assert_exit(self.restore(target, manifest["id"], "--target-dir", target), 1,
                         b"passwd-link", b"nothing was written")
        self.assert_unchanged(target, before)
        # Only the operator widens it.
        self.assert_exit(self.restore(target, manifest["id"], "--target-dir", target,
                                      "--absolute-links-under", "/etc"), 0)
        self.assertEqual(os.readlink(os.path.join(target, "passwd-link")), "/etc/passwd")

    # -- item 7 (first half): verify runs the extractor's checks -----------------------------------
    def test_verify_refuses_what_restore_would_refuse_naming_each_entry(self):
        entries = [
            {"name": "ok.pdf", "data": b"fine"},
            {"name": "../escape", "data": b"x"},
            {"name": "a/../../x", "data": b"x"},
            {"name": "/etc/cron.d/evil", "data": b"x"},
            {"name": "sub", "type": "dir"},
            {"name": "lnk", "type": "symlink", "link": "sub"},
            {"name": "lnk/through.txt", "data": b"through the link"},
            {"name": "to-passwd", "type": "hardlink", "link": "/etc/passwd"},
            {"name": "to-later", "type": "hardlink", "link": "later.txt"},
            {"name": "later.txt", "data": b"later"},
            {"name": "wide/" + "n" * 300, "data": b"x"},
            {"name": "/".join(["p" * 200] * 21), "data": b"x"},
        ]
        manifest = self.hostile_set(entries)
        result = self.erp(["verify", manifest["id"]], "/nonexistent")
        output = result.stdout + result.stderr
        self.assert_exit(result, 1, manifest["streams"]["docs"]["key"].encode())
        for needle in [b"'../escape'", b"'a/../../x'", b"'/etc/cron.d/evil'",
                       b"'lnk/through.txt': goes through the symbolic link 'lnk'",
                       b"'to-passwd': a hard link to '/etc/passwd'",
                       b"'to-later': a hard link to 'later.txt', which is not a file archived before it",
                       b"longer than 255 bytes (NAME_MAX)", b"longer than 4095 (PATH_MAX)"]:
            self.assertIn(needle, output)
        self.assertNotIn(b"'ok.pdf'", output)

        # An entry with an empty name: the archive cannot be walked, which verify reports too.
        empty = self.hostile_set([{"name": "first.txt", "data": b"x"}, {"name": "", "data": b"y"}])
        self.assert_exit(self.erp(["verify", empty["id"]], "/nonexistent"), 1,
                         empty["streams"]["docs"]["key"].encode())

    # -- item 10: setuid/setgid dropped unless kept; depth and length limits ---------------------------
    def test_setid_bits_are_dropped_unless_kept(self):
        docs = self.tree("setid", {"bin/suid": ("#!/bin/sh\n", 0o4755), "bin/sgid": ("#!/bin/sh\n", 0o2755),
                                   "shared/plain.txt": "x"})
        os.chmod(os.path.join(docs, "shared"), 0o2775)
        manifest = self.backup_docs(docs)
        dropped = self.new_target()
        result = self.restore(docs, manifest["id"], "--target-dir", dropped)
        self.assert_exit(result, 0)
        tree = describe_tree(dropped)
        self.assertEqual((tree["bin/suid"]["mode"], tree["bin/sgid"]["mode"]), (0o755, 0o755))
        self.assertEqual(tree["shared"]["mode"], 0o2775)  # a setgid directory only passes its group on
        self.assertIn(b"setid_dropped=2", result.stderr)
        kept = self.new_target()
        self.assert_exit(self.restore(docs, manifest["id"], "--target-dir", kept, "--keep-setid"), 0,
                         b"setid_dropped=0")
        tree = describe_tree(kept)
        self.assertEqual((tree["bin/suid"]["mode"], tree["bin/sgid"]["mode"]), (0o4755, 0o2755))

    def test_a_tree_too_deep_to_restore_never_backs_up_silently(self):
        docs = self.tree("deep", {"top.txt": "top"})
        deep = os.path.join(docs, *(["d"] * 300))
        os.makedirs(deep)
        write(os.path.join(deep, "f.pdf"), "too deep")
        failed = self.erp(["backup", "--only", "docs"], docs)
        wait_for_a_new_set_id(failed)
        self.assert_exit(failed, 1, b"more than 256 levels deep", b"no restore accepts it")
        skipped = self.backup_docs(docs, DOCS_ON_ERROR="skip")
        [entry] = skipped["streams"]["docs"]["skipped"]
        self.assertEqual(entry["path"], "/".join(["d"] * 257))
        self.assertIn("levels deep", entry["reason"])
        self.assertEqual(skipped["streams"]["docs"]["directories"], 256)

    def test_restore_refuses_names_too_deep_or_too_long_before_writing(self):
        for name in ["/".join(["d"] * 4000) + "/f", "n" * 300]:
            manifest = self.hostile_set([{"name": "first.txt", "data": b"x"}, {"name": name, "data": b"y"}])
            target = tempfile.mkdtemp(dir=self.workdir)
            # rm, not shutil.rmtree: a restore that wrongly made 4000 levels must not break cleanup.
            self.addCleanup(subprocess.run, ["rm", "-rf", target])
            before = describe_tree(target, mtime_ns=True, include_root=True)
            started = time.monotonic()
            self.assert_exit(self.restore(target, manifest["id"], "--target-dir", target), 1)
            self.assertLess(time.monotonic() - started, 60)  # a bound, not a measurement
            self.assert_unchanged(target, before)

    # -- lower items -----------------------------------------------------------------------------------
    def test_a_subtree_outside_the_tree_is_a_usage_error_and_a_missing_one_fails(self):
        docs = self.tree("subtree", {"ecm/a.txt": "a"})
        manifest = self.backup_docs(docs)
        for bad in ["../x", "/etc", "./"]:
            target = self.new_target()
            self.assert_exit(self.restore(docs, manifest["id"], "--subtree", bad, "--target-dir", target), 2,
                             b"--subtree")
            self.assertFalse(os.path.exists(target), f"--subtree {bad} created the target")
        target = self.new_target()
        self.assert_exit(self.restore(docs, manifest["id"], "--subtree", "NOSUCH", "--target-dir", target), 1,
                         b"nothing under 'NOSUCH'")
        self.assertFalse(os.path.exists(target), "a failed restore left the target it created")

    def test_an_archive_holding_more_than_its_manifest_records_is_refused(self):
        entries = [{"name": "small.txt", "data": b"s" * 10}, {"name": "bomb.bin", "data": b"\0" * (4 << 20)}]
        manifest = self.hostile_set(entries)
        manifest["streams"]["docs"]["uncompressed_bytes"] = 10  # what the backup said it archived
        self.put_manifest(manifest)
        target = tempfile.mkdtemp(dir=self.workdir)
        before = describe_tree(target, mtime_ns=True, include_root=True)
        self.assert_exit(self.restore(target, manifest["id"], "--target-dir", target), 1,
                         b"bomb.bin", b"content bytes its manifest records")
        self.assert_unchanged(target, before)

    # -- refresh-sandbox never loses the sandbox's documents ---------------------------------------
    def refresh_env(self, db: str, user: str, password: str, sandbox_docs: str) -> dict:
        env = self.env("/var/www/documents")
        for name in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "DOCUMENTS_DIR"):
            env.pop(name, None)
        env.update({"RESTORE_PGHOST": self.pg.host, "RESTORE_PGPORT": str(self.pg.port),
                    "RESTORE_PGDATABASE": db, "RESTORE_PGUSER": user, "RESTORE_PGPASSWORD": password,
                    "RESTORE_EXCLUDE": "FUNCTION pgbouncer user_lookup",
                    "RESTORE_DOCUMENTS_DIR": sandbox_docs, "BACKUP_ENV": "sandbox"})
        return env

    def test_refresh_sandbox_refuses_a_set_without_the_subtree_before_touching_anything(self):
        # prod's documents hold no mycompany/ (REFRESH_DOCS_SUBTREE's default).
        prod_backup = self.erp(["backup"], self.tree("prod", {"ecm/a.txt": "a"}))
        self.assert_exit(prod_backup, 0)
        wait_for_a_new_set_id(prod_backup)
        db, user, password = self.restore_target("docsandbox")
        self.pg.psql(db, "create table sandbox_marker (x int)", user=user, password=password)
        sandbox = self.tree("sandbox", {"mycompany/logos/logo.png": "the sandbox's logo",
                                        "mycompany/important.pdf": "never lose me"})
        before = describe_tree(sandbox, mtime_ns=True, include_root=True)
        result = run_erp(["refresh-sandbox", "--from-env", ENV_NAME],
                         self.refresh_env(db, user, password, sandbox), self.secrets(), timeout=300)
        self.assert_exit(result, 1)
        self.assert_unchanged(sandbox, before)
        self.assertEqual(self.pg.query(db, "select count(*) as n from pg_tables where tablename = 'sandbox_marker'"),
                         [{"n": 1}], "the sandbox database was replaced")
        self.assert_exit(result, 1, b"nothing under 'mycompany'", b"before the database was touched")

        # A refresh killed between its two renames left the subtree in its staging directory and
        # none in place: the next run puts it back first (here, before failing as above).
        leftover = os.path.join(sandbox, ".erp-staging-20260101T000000Z-0123456789abcdef")
        os.makedirs(leftover)
        write(os.path.join(leftover, "ERP-BACKUP-STAGING"), "marker")
        os.rename(os.path.join(sandbox, "mycompany"), os.path.join(leftover, "old"))
        result = run_erp(["refresh-sandbox", "--from-env", ENV_NAME],
                         self.refresh_env(db, user, password, sandbox), self.secrets(), timeout=300)
        self.assert_exit(result, 1, b"put back the subtree")
        self.assertEqual(sorted(os.listdir(sandbox)), ["mycompany"])
        self.assertEqual(describe_tree(os.path.join(sandbox, "mycompany"), mtime_ns=True),
                         {k[len("mycompany/"):]: v for k, v in before.items() if k.startswith("mycompany/")})


if __name__ == "__main__":
    unittest.main()
