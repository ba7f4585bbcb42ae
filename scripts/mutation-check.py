#!/usr/bin/env python3
"""Mutation check: does the suite fail when a guard in the code is broken?

Each mutant below is (file, the exact original snippet, its replacement) plus the tests that
should catch it. For every mutant the script:

  1. checks that the snippet occurs exactly once in the file (a snippet that moved or changed is
     an error, reported as such: update the catalog, never skip it silently);
  2. inside a private mount namespace, lays an overlay over the work tree (the tree and build/
     are seen as they are, every write goes to a temporary upper layer that is thrown away), so
     build/'s objects are reused: the mutant costs one recompile, the links and its tests;
  3. writes the mutant, rebuilds erp-backup and unit_tests, and runs its tests;
  4. counts the mutant as caught when at least one of its tests fails, missed when all pass.

Before any mutant, the same tests run on the unmutated build and must pass (a test that fails
anyway, or a filter that selects nothing, would make every mutant look caught).

Prints a table mutant -> caught / MISSED / error, and exits 0 only when every mutant was caught
(1 when one was missed or could not be tried; 2 for a usage error). The work tree, its build/
and the bucket-free servers the tests start are never changed: the overlay holds every write.

    scripts/mutation-check.py                 # every mutant (build/ must be configured)
    scripts/mutation-check.py --list          # the catalog
    scripts/mutation-check.py stale-age-inverted extractor-stop-between-entries
    scripts/mutation-check.py --unit-only     # each mutant's unit tests only (CI: ctest mutation_check)
    scripts/mutation-check.py --jobs 2        # two mutants at a time (each in its own overlay)

Needs root (mount namespaces and overlayfs), like the rest of the suite here; about a minute
per mutant on 2 cores (one translation unit recompiled, two links, unit filters, at most one
integration file). The numbers: docs/testing.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
UNIT = os.path.join(BUILD, "unit_tests")
BINARY = os.path.join(BUILD, "erp-backup")
# Set by --unit-only, and so seen by the run inside the namespace too.
UNIT_ONLY_ENV = "MUTATION_CHECK_UNIT_ONLY"


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str  # relative to the repository root
    original: str
    replacement: str
    why: str  # the false success the mutant stands for
    unit: tuple[str, ...] = ()  # doctest arguments selecting the unit tests that should catch it
    integration: tuple[str, ...] = field(default=())  # unittest names, run in tests/integration


# Mutants of guards that each hide a false success. Snippets are exact (whitespace included).
MUTANTS = [
    Mutant("catalog-read-error-guard", "src/catalog/catalog.cc",
           "    if (got.error().kind == ErrorKind::not_found) {\n"
           "      mark_unreadable(set,",
           "    if (true) {\n"
           "      mark_unreadable(set,",
           "a manifest that cannot be read (a short read, a 503 after the retries) is taken for a "
           "vanished one: the listing goes on and prune judges the other sets without it",
           unit=("--source-file=*tests/catalog/*",),
           integration=("test_read_faults",)),
    Mutant("extractor-unlink-half-written", "src/archive/safe_extractor.cc",
           "    ::unlinkat(parent, leaf.c_str(), 0);  // a half-written file is not a restored one\n",
           "",
           "a file cut short by a failed read stays in the target, looking restored",
           unit=("--source-file=*tests/archive/safe_extractor_test.cc",)),
    Mutant("extractor-stop-within-a-file", "src/archive/safe_extractor.cc",
           "    if (cancellation_.cancelled()) {\n"
           "      return fail(Error{ErrorKind::cancelled, shown + \": extraction stopped\"});",
           "    if (false) {\n"
           "      return fail(Error{ErrorKind::cancelled, shown + \": extraction stopped\"});",
           "a stopped restore goes on writing the file it is in",
           unit=("--source-file=*tests/archive/safe_extractor_test.cc",)),
    Mutant("extractor-stop-between-entries", "src/archive/safe_extractor.cc",
           "Result<void> SafeExtractor::extract(TarReader& reader) {\n"
           "  for (;;) {\n"
           "    if (cancellation_.cancelled()) {",
           "Result<void> SafeExtractor::extract(TarReader& reader) {\n"
           "  for (;;) {\n"
           "    if (false) {",
           "a stopped restore goes on extracting the next entries",
           unit=("--source-file=*tests/archive/safe_extractor_test.cc",)),
    Mutant("restore-error-lines-judged", "src/app/restore/restore_db_judge.cc",
           "  if (verdict.failing > 0) {\n",
           "  if (false) {\n",
           "pg_restore's failing error: lines do not fail the restore, so a restore that lost "
           "rows or a primary key exits 0",
           unit=("--source-file=*tests/app/restore_db_test.cc", "--source-file=*tests/pg/*"),
           integration=("test_restore_db",)),
    Mutant("stale-age-inverted", "src/app/backup/stale_uploads.cc",
           "    } else if (*entry.age > options.max_age) {",
           "    } else if (*entry.age < options.max_age) {",
           "prune aborts the uploads still in progress and keeps the stale ones",
           unit=("--source-file=*tests/app/stale_uploads_test.cc",),
           integration=("test_stale_uploads.StaleUploadsOnMoto",)),
    Mutant("stale-age-boundary", "src/app/backup/stale_uploads.cc",
           "    } else if (*entry.age > options.max_age) {",
           "    } else if (*entry.age >= options.max_age) {",
           "an upload exactly STALE_UPLOAD_AGE old is aborted (the contract: strictly older)",
           unit=("--source-file=*tests/app/stale_uploads_test.cc",)),
    Mutant("conditional-commit", "src/upload/confirm_write.cc",
           "store.put_object(key, body, s3::WriteCondition::if_absent)",
           "store.put_object(key, body, s3::WriteCondition::none)",
           "the manifest (the commit point) and the lease are PUT unconditionally: a second run's "
           "manifest replaces the first one's where the store honours If-None-Match",
           unit=("--source-file=*tests/upload/put_new_object_test.cc", "--source-file=*tests/app/run_lease_test.cc"),
           integration=("test_concurrent_runs.ConcurrentRunsOnMoto.test_a_manifest_another_writer_put_first_is_never_replaced",)),
    Mutant("prune-lock-read", "src/app/sets/prune_by_version.cc",
           "      if (head->lock && head->lock->retain_until > now) {",
           "      if (false) {",
           "an expired set with a version still locked is taken for an unlocked one: its delete is "
           "refused and read as a missing permission, half of it may go, and no set is reported "
           "locked, kept",
           unit=("--source-file=*tests/app/sets/prune_by_version_test.cc",)),
    Mutant("promotion-never-shortens", "src/app/sets/lock_promotion.cc",
           "  if (held && held->retain_until >= required) return std::nullopt;",
           "  if (false) return std::nullopt;",
           "promotion asks for a lock it need not (every run rewrites every kept object's retention) "
           "and for a shorter one where the object holds a longer lock",
           unit=("--source-file=*tests/app/sets/lock_promotion_test.cc",)),
]


# -- running tests -----------------------------------------------------------------------------------
def test_commands(mutant: Mutant) -> list[tuple[str, list[str], str]]:
    """(label, argv, cwd) of each test run that should catch `mutant`."""
    commands = []
    for selection in mutant.unit:
        commands.append((f"unit_tests {selection}", [UNIT, "--no-intro=true", "--minimal=true", selection], BUILD))
    if os.environ.get(UNIT_ONLY_ENV) == "1":
        return commands
    for name in mutant.integration:
        commands.append((name, [sys.executable, "-m", "unittest", name], os.path.join(ROOT, "tests", "integration")))
    return commands


def run_tests(commands) -> list[tuple[str, int, str]]:
    env = dict(os.environ, ERP_BACKUP_BIN=BINARY, ERP_SOURCE_DIR=ROOT, PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=os.pathsep.join(os.path.join(ROOT, "tests", d) for d in ("harness", "fixtures")))
    results = []
    for label, argv, cwd in commands:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, timeout=1800)
        tail = (done.stdout + done.stderr).decode(errors="replace")[-1500:]
        results.append((label, done.returncode, tail))
    return results


def build() -> subprocess.CompletedProcess:
    # Unit tests alone need no erp-backup: one link fewer a mutant.
    targets = ["unit_tests"] if os.environ.get(UNIT_ONLY_ENV) == "1" else ["erp-backup", "unit_tests"]
    return subprocess.run(["cmake", "--build", BUILD, "--target", *targets, "-j2"],
                          capture_output=True, timeout=3600)


# -- one mutant, inside the namespace ------------------------------------------------------------------
def inside(mutant: Mutant, upper: str, work: str) -> dict:
    """Runs in a private mount namespace: overlay, mutate, build, test. Returns the outcome."""
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir={ROOT},upperdir={upper},workdir={work}", ROOT], check=True)
    path = os.path.join(ROOT, mutant.file)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(mutant.original, mutant.replacement, 1))
    built = build()
    if built.returncode != 0:
        return {"outcome": "error", "detail": "the mutant does not build:\n"
                + (built.stdout + built.stderr).decode(errors="replace")[-2000:]}
    results = run_tests(test_commands(mutant))
    failed = [label for label, status, _ in results if status != 0]
    return {"outcome": "caught" if failed else "missed", "caught_by": failed,
            "detail": "" if failed else "\n".join(f"{label}: exit 0" for label, _, _ in results)}


def try_mutant(mutant: Mutant) -> dict:
    """Outside: checks the snippet, then runs inside() in a fresh mount namespace."""
    path = os.path.join(ROOT, mutant.file)
    try:
        with open(path, encoding="utf-8") as f:
            count = f.read().count(mutant.original)
    except OSError as exc:
        return {"outcome": "error", "detail": f"{mutant.file}: {exc}"}
    if count != 1:
        return {"outcome": "error", "detail": f"the original snippet occurs {count} times in {mutant.file} "
                                              "(expected exactly once): update the catalog in this script"}
    scratch = tempfile.mkdtemp(prefix=f"erp-mutant-{mutant.name}-", dir="/var/tmp")
    try:
        upper, work = os.path.join(scratch, "upper"), os.path.join(scratch, "work")
        os.mkdir(upper)
        os.mkdir(work)
        done = subprocess.run(["unshare", "--mount", "--propagation", "private", "--",
                               sys.executable, os.path.abspath(__file__), "--inside", mutant.name,
                               "--upper", upper, "--work", work], capture_output=True, timeout=7200)
        lines = done.stdout.decode(errors="replace").strip().splitlines()
        if done.returncode != 0 or not lines:
            return {"outcome": "error", "detail": f"the namespace run exited {done.returncode}:\n"
                                                  + done.stderr.decode(errors="replace")[-2000:]}
        return json.loads(lines[-1])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# -- main -----------------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="mutants to try (default: all)")
    parser.add_argument("--list", action="store_true", help="print the catalog and exit")
    parser.add_argument("--unit-only", action="store_true",
                        help="run only each mutant's unit tests (CI's ctest entry `mutation_check`)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="mutants tried at once (default 1); each has its own overlay, so they "
                             "never see each other's edits or objects. Integration tests share "
                             "nothing either: each run starts its own servers")
    parser.add_argument("--inside", help=argparse.SUPPRESS)
    parser.add_argument("--upper", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    by_name = {m.name: m for m in MUTANTS}

    if args.inside:
        print(json.dumps(inside(by_name[args.inside], args.upper, args.work)))
        return 0
    if args.list:
        for m in MUTANTS:
            print(f"{m.name}\t{m.file}\t{m.why}")
        return 0
    unknown = [n for n in args.names if n not in by_name]
    if unknown:
        parser.error(f"unknown mutant(s) {unknown}; --list shows the catalog")
    chosen = [by_name[n] for n in args.names] if args.names else MUTANTS
    if args.unit_only:
        os.environ[UNIT_ONLY_ENV] = "1"
        without_unit = [m.name for m in chosen if not m.unit]
        if without_unit:
            parser.error(f"--unit-only: {without_unit} have no unit tests to catch them")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if os.geteuid() != 0:
        print("mutation-check: needs root (unshare --mount, overlayfs)", file=sys.stderr)
        return 2
    if not os.path.exists(os.path.join(BUILD, "CMakeCache.txt")):
        print(f"mutation-check: {BUILD} is not configured (hint: scripts/test.sh, or cmake -S . -B build)",
              file=sys.stderr)
        return 2

    started = time.monotonic()
    built = build()
    if built.returncode != 0:
        print("mutation-check: the unmutated tree does not build:\n"
              + (built.stdout + built.stderr).decode(errors="replace")[-3000:], file=sys.stderr)
        return 1
    # The unmutated baseline: every test a mutant relies on passes, and selects something.
    commands = {label: (label, argv, cwd) for m in chosen for label, argv, cwd in test_commands(m)}
    baseline_failures = [(label, tail) for label, status, tail in run_tests(commands.values()) if status != 0]
    if baseline_failures:
        for label, tail in baseline_failures:
            print(f"mutation-check: fails without any mutant: {label}\n{tail}", file=sys.stderr)
        return 1
    print(f"baseline: {len(commands)} test run(s) pass unmutated ({time.monotonic() - started:.0f} s)", flush=True)

    def timed(mutant: Mutant) -> tuple[Mutant, dict, float]:
        began = time.monotonic()
        outcome = try_mutant(mutant)
        seconds = time.monotonic() - began
        shown = {"caught": "caught", "missed": "MISSED", "error": "ERROR"}[outcome["outcome"]]
        line = f"{mutant.name}: {shown} ({seconds:.0f} s)"
        if outcome["outcome"] != "caught":
            line += "\n  " + outcome["detail"].replace("\n", "\n  ")
        print(line, flush=True)  # one print per mutant: concurrent mutants' lines never interleave
        return mutant, outcome, seconds

    # The table below keeps the catalog's order whatever order the mutants finish in.
    with ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(timed, chosen))

    width = max(len(m.name) for m, _, _ in rows)
    print(f"\n{'mutant'.ljust(width)}  result  seconds  caught by / what it stands for")
    for mutant, outcome, seconds in rows:
        result = {"caught": "caught", "missed": "MISSED", "error": "ERROR"}[outcome["outcome"]]
        detail = ", ".join(outcome.get("caught_by", [])) if outcome["outcome"] == "caught" else mutant.why
        print(f"{mutant.name.ljust(width)}  {result:<6}  {seconds:7.0f}  {detail}")
    total = time.monotonic() - started
    caught = sum(1 for _, o, _ in rows if o["outcome"] == "caught")
    print(f"\n{caught} of {len(rows)} mutants caught in {total:.0f} s")
    return 0 if caught == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
