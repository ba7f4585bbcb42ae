"""Reproducible benchmark data for bench/bench.py, cached under a directory outside git.

Three data sets, each built once per (version, scale) and reused while its completion marker exists:

- stream-<bytes>.bin: incompressible bytes from a seeded PRNG (random.Random(11).randbytes), what
  the raw `put` rows stream from;
- docs-v1-<scale>/: a Dolibarr-like documents tree (see generate_docs);
- db-v1-<scale>.dump: `pg_dump -Fc` of tests/fixtures/erp_fixture.py's ERP database, scaled with
  its incompressible payload rows until the dump reaches the size asked for. Each run restores it
  into a fresh throwaway PostgreSQL (`pg_restore -j2`, tens of seconds) instead of keeping a data
  directory: the test server picks a new password and port every start.

A marker file `<name>.complete` (beside the data, not inside the tree) is written last, so an
interrupted build is rebuilt, never used half-made.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess

MiB = 1 << 20
KiB = 1 << 10
DOCS_VERSION = "v1"
DB_VERSION = "v1"
BASE_MTIME = 1705312800  # 2024-01-15T10:00:00Z

# scale -> (pdfs, text files, least total bytes)
DOCS_SCALES = {
    "full": (17_600, 2_500, 1536 * MiB),
    "quick": (880, 125, 64 * MiB),
}
# scale -> (erp_fixture scale, least pg_dump -Fc bytes)
DB_SCALES = {
    "full": ("small", 210 * MiB),
    "quick": ("tiny", 12 * MiB),
}

WORDS = ("facture client fournisseur montant total TVA remise échéance règlement virement chèque "
         "commande livraison article quantité prix unitaire désignation référence société adresse "
         "code postal ville pays téléphone courriel SIRET conditions générales pénalités retard "
         "Rechnung Betrag Lieferung invoice amount due payment terms net thirty days "
         "/Type /Page /Font /Helvetica /Encoding /WinAnsiEncoding /MediaBox [0 0 595 842] "
         "BT /F1 10 Tf 72 720 Td ET obj endobj stream endstream xref trailer startxref").split()


def _marker(path: str) -> str:
    return path.rstrip("/") + ".complete"


def _ready(path: str) -> bool:
    return os.path.exists(_marker(path)) and os.path.exists(path)


def _mark(path: str) -> None:
    with open(_marker(path), "w") as f:
        f.write("complete\n")


def _discard(path: str) -> None:
    if os.path.lexists(_marker(path)):
        os.unlink(_marker(path))
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


# -- the stream ------------------------------------------------------------------------------------
def stream_file(data_dir: str, size: int) -> str:
    path = os.path.join(data_dir, f"stream-{size}.bin")
    if _ready(path):
        return path
    _discard(path)
    rng = random.Random(11)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 8 * MiB)
            f.write(rng.randbytes(n))
            left -= n
    _mark(path)
    return path


# -- the documents tree ----------------------------------------------------------------------------
def _corpus(rng: random.Random, size: int) -> bytes:
    """Text-like bytes (French/German/English invoice words and PDF operators): what a PDF's
    uncompressed content streams, fonts and metadata compress like."""
    out, n = [], 0
    while n < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(4, 14)))
        line += f" {rng.randrange(100000)},{rng.randrange(100):02d}\n"
        out.append(line)
        n += len(line.encode())
    return "".join(out).encode()[:size]


def generate_docs(root: str, scale: str, seed: int = 7) -> dict:
    """A Dolibarr-like tree: `pdfs` invoices/quotes/orders of 10-200 KiB (skewed small: most are
    tens of KiB) whose content is ~40% text-like (compressible) and ~60% random (embedded images
    and already-deflated streams); `texts` notes and CSV exports of 1-30 KiB (compressible);
    scans of 2-8 MiB (incompressible, like JPEG pages) until the tree holds the scale's bytes.
    Deterministic for a seed; mtimes fixed."""
    pdfs, texts, least = DOCS_SCALES[scale]
    rng = random.Random(seed)
    corpus = _corpus(rng, 4 * MiB)
    files = dirs = total = 0

    def write(rel: str, content: bytes) -> None:
        nonlocal files, total
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content)
        os.utime(path, (BASE_MTIME + files, BASE_MTIME + files))
        files += 1
        total += len(content)

    def text(n: int) -> bytes:
        start = rng.randrange(len(corpus) - n)
        return corpus[start:start + n]

    def pdf(n: int) -> bytes:
        head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        textual = int(n * 0.4)
        body = text(textual) + rng.randbytes(max(0, n - textual - len(head) - 6))
        return head + body + b"%%EOF\n"

    kinds = (("facture", "FA"), ("fournisseur/facture", "SI"), ("propale", "PR"), ("commande", "CO"))
    for i in range(pdfs):
        folder, prefix = kinds[i % 7 % 4]  # invoices twice as often as the rest
        ref = f"{prefix}{24 + i // 6000:02d}{(i // 500) % 12 + 1:02d}-{i:05d}"
        size = 10 * KiB + int(190 * KiB * rng.random() ** 2.2)
        write(f"{folder}/{ref}/{ref}.pdf", pdf(size))
        if i % 25 == 0:  # attachments next to some documents
            write(f"{folder}/{ref}/Bon de commande signé {i}.pdf", pdf(10 * KiB + rng.randrange(60 * KiB)))
    for i in range(texts):
        ext = (".txt", ".csv", ".xml")[i % 3]
        write(f"ecm/Notes/{i // 100:03d}/note {i:05d}{ext}", text(KiB + rng.randrange(29 * KiB)))
    n = 0
    while total < least:
        write(f"ecm/Scans/{n // 50:03d}/scan {n:05d}.pdf", rng.randbytes(2 * MiB + rng.randrange(6 * MiB)))
        n += 1
    for base, dirnames, _ in os.walk(root):
        dirs += len(dirnames)
    return {"files": files, "dirs": dirs, "bytes": total}


def docs_tree(data_dir: str, scale: str) -> tuple[str, dict]:
    path = os.path.join(data_dir, f"docs-{DOCS_VERSION}-{scale}")
    summary_path = path + ".summary"
    if _ready(path) and os.path.exists(summary_path):
        with open(summary_path) as f:
            files, dirs, total = (int(v) for v in f.read().split())
        return path, {"files": files, "dirs": dirs, "bytes": total}
    _discard(path)
    summary = generate_docs(path, scale)
    with open(summary_path, "w") as f:
        f.write(f"{summary['files']} {summary['dirs']} {summary['bytes']}\n")
    _mark(path)
    return path, summary


# -- the database ----------------------------------------------------------------------------------
def db_dump(data_dir: str, scale: str, pg, log) -> str:
    """The cached dump of the scale's ERP database, generated on `pg` (a started PostgresServer)
    when missing."""
    from erp_fixture import generate_erp_database  # noqa: E402 (tests/fixtures on sys.path)

    path = os.path.join(data_dir, f"db-{DB_VERSION}-{scale}.dump")
    if _ready(path):
        return path
    _discard(path)
    fixture_scale, least = DB_SCALES[scale]
    log(f"generating the ERP database (scale {fixture_scale}, pg_dump -Fc >= {least / MiB:.0f} MiB) ...")
    generate_erp_database(pg, "erpbench_gen", scale=fixture_scale, target_bytes=int(least * 1.04))
    with open(path, "wb") as out:
        done = subprocess.run([pg.bin("pg_dump"), "-Fc", "-w"], stdout=out, stderr=subprocess.PIPE,
                              env=pg.client_env("erpbench_gen"))
    if done.returncode != 0:
        raise RuntimeError(f"pg_dump failed: {done.stderr.decode(errors='replace')[-2000:]}")
    pg.drop_database("erpbench_gen")
    if os.path.getsize(path) < least:
        raise RuntimeError(f"the dump is {os.path.getsize(path) / MiB:.0f} MiB, less than {least / MiB:.0f} MiB")
    _mark(path)
    return path


def restore_dump(pg, db: str, dump: str, jobs: int = 2) -> None:
    """Create `db` and load `dump` into it (what every bench run starts from). The fixture's
    pgbouncer schema grants to a `pgbouncer` role: a fresh server needs it first."""
    if pg.scalar("postgres", "select count(*) from pg_roles where rolname = 'pgbouncer'") != "1":
        pg.create_role("pgbouncer")
    pg.create_database(db)
    done = subprocess.run([pg.bin("pg_restore"), "--no-owner", "-j", str(jobs), "-d", db, dump],
                          capture_output=True, env=pg.client_env(db))
    if done.returncode != 0:
        raise RuntimeError(f"pg_restore into {db} failed: {done.stderr.decode(errors='replace')[-2000:]}")
