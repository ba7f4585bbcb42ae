"""Build a Dolibarr-like documents tree (DOCUMENTS_DIR) and describe trees for comparison.

    manifest = generate_documents_tree(src)                      # small: ~340 entries, ~7 MiB
    manifest = generate_documents_tree(src, target_bytes=1 << 30)  # benchmark: ~1 GiB
    ... back up src, restore into dst ...
    assert not diff_trees(describe_tree(src), describe_tree(dst))

The tree holds what a real documents volume holds and what tar implementations get wrong:
- Dolibarr's layout: facture/FA2401-0001/FA2401-0001.pdf (+ thumbs/), fournisseur/facture/…,
  societe/<id>/…, propale/, commande/, produit/, users/<id>/, ecm/<free tree>, admin/temp/;
- names in UTF-8 with accents, umlauts, CJK and emoji, a decomposed (NFD) name, names with spaces
  (also trailing), a leading '-', shell-special characters; one NON-UTF-8 name
  (b'\\xff\\xfe-latin1-\\xe9.txt', created through bytes paths);
- a file name over 100 bytes (the ustar name field), a 255-byte name (NAME_MAX), and a deep path
  over 400 bytes (ustar's 256-byte prefix+name limit; GNU/pax long-name records needed);
- empty files, empty directories, a read-only (0555) directory with files in it (an extractor must
  set its mode after filling it), a 0700 directory, 0600/0640/0444/0755 files;
- symlinks: relative to a file, relative to a directory, absolute (to Dolibarr's usual
  /var/www/documents/…, so it dangles on a test machine), a dangling relative one, one with a
  non-ASCII target;
- hard links: a pair and a group of three names for one inode;
- large incompressible files (sizes configurable; the default sizes are not multiples of 512);
- mtimes: all fixed, one in 1999, one with nanoseconds (1700000000.123456789), one in 2040
  (past 2038), directories' mtimes set last, deepest first, so creating children does not move them.

Content is deterministic for a given seed. All paths handed back are relative `str` decoded with
os.fsdecode (the non-UTF-8 name comes back with surrogate escapes; os.fsencode restores its bytes).

Root and unreadable files: root reads a chmod-000 file anyway (CAP_DAC_OVERRIDE), so
make_unreadable() alone makes a read fail only for an unprivileged reader. For a reader that runs
as root, prefix its argv with without_dac_override() (setpriv drops CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH from the bounding and inheritable sets, so even uid 0 gets EACCES on a 000 file),
or run it as another user (generate the tree with owner=(uid, gid) so that user can read the rest).
A FIFO or a socket does not make a read fail: tar archives a FIFO as a FIFO entry without opening it
and skips a socket (add_special_files creates both for tests of that).
"""

from __future__ import annotations

import hashlib
import os
import random
import socket
import stat

MiB = 1 << 20
KiB = 1 << 10
DEFAULT_LARGE_FILES = (3 * MiB, 2 * MiB + 511, 1 * MiB + 1)  # odd sizes exercise tar's 512-byte padding
SCALES = {"small": 40, "large": 4000}  # invoice folders
BASE_MTIME = 1705312800  # 2024-01-15T10:00:00Z
OLD_MTIME = 946684799  # 1999-12-31T23:59:59Z
SUBSECOND_MTIME_NS = 1700000000_123456789
FUTURE_MTIME = 2208988800  # 2040-01-01T00:00:00Z, past the 32-bit time_t limit

NON_UTF8_NAME = b"\xff\xfe-latin1-\xe9.txt"
LONG_NAME = ("Procès-verbal de l'assemblée générale ordinaire annuelle du 30 juin 2023 — "
             "approbation des comptes de l'exercice clos.pdf")  # > 100 bytes
DEEP_DIRS = ["ecm", "Archives comptables", "Exercice 2019 — clôturé et approuvé",
             "Pièces justificatives des fournisseurs étrangers", "Trimestre 4 (octobre, novembre et décembre)",
             "Factures d'achat reçues par courrier postal", "Numérisées par le cabinet d'expertise comptable",
             "Lot n°17 — contrôle fiscal"]


def _fs(path) -> bytes:
    return path if isinstance(path, bytes) else os.fsencode(path)


def _name_of_bytes(prefix: str, total: int, suffix: str = ".pdf") -> str:
    """A name of exactly `total` UTF-8 bytes (multi-byte characters included)."""
    name = prefix
    filler = "é"
    while len((name + filler + suffix).encode()) <= total:
        name += filler
    while len((name + suffix).encode()) < total:
        name += "x"
    assert len((name + suffix).encode()) == total
    return name + suffix


class _Builder:
    def __init__(self, root: bytes, seed: int):
        self.root = root
        self.rng = random.Random(seed)
        self.dirs: dict[bytes, int] = {}  # rel → mode
        self.files: dict[bytes, int] = {}  # rel → mode (first name of each inode)
        self.links: list[tuple[bytes, bytes]] = []  # (new name, existing name)
        self.symlinks: list[tuple[bytes, bytes]] = []  # (rel, target)
        self.mtimes: dict[bytes, int] = {}  # rel → mtime in ns
        self.sizes: dict[bytes, int] = {}
        self.clock = BASE_MTIME

    def _abs(self, rel: bytes) -> bytes:
        return os.path.join(self.root, rel)

    def _next_mtime(self) -> int:
        self.clock += 61
        return self.clock * 10**9

    def mkdir(self, rel, mode: int = 0o755) -> bytes:
        rel = _fs(rel)
        parts = rel.split(b"/")
        for i in range(1, len(parts) + 1):
            sub = b"/".join(parts[:i])
            if sub not in self.dirs:
                os.mkdir(self._abs(sub), 0o700)
                self.dirs[sub] = 0o755
                self.mtimes[sub] = self._next_mtime()
        self.dirs[rel] = mode
        return rel

    def data(self, size: int) -> bytes:
        return self.rng.randbytes(size) if size else b""

    def pdf(self, size: int) -> bytes:
        head, tail = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", b"\n%%EOF\n"
        return head + self.data(max(0, size - len(head) - len(tail))) + tail

    def file(self, rel, content: bytes = b"", mode: int = 0o644, mtime_ns: int | None = None) -> bytes:
        rel = _fs(rel)
        parent = os.path.dirname(rel)
        if parent:
            self.mkdir(parent, self.dirs.get(parent, 0o755))
        fd = os.open(self._abs(rel), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        self.files[rel] = mode
        self.sizes[rel] = len(content)
        self.mtimes[rel] = mtime_ns if mtime_ns is not None else self._next_mtime()
        return rel

    def big_file(self, rel, size: int, mode: int = 0o644) -> bytes:
        rel = self.file(rel, b"", mode)
        with open(self._abs(rel), "wb") as f:
            left = size
            while left:
                n = min(left, MiB)
                f.write(self.data(n))
                left -= n
        self.sizes[rel] = size
        return rel

    def hardlink(self, rel, existing) -> bytes:
        rel, existing = _fs(rel), _fs(existing)
        parent = os.path.dirname(rel)
        if parent:
            self.mkdir(parent, self.dirs.get(parent, 0o755))
        os.link(self._abs(existing), self._abs(rel))
        self.links.append((rel, existing))
        return rel

    def symlink(self, rel, target) -> bytes:
        rel, target = _fs(rel), _fs(target)
        parent = os.path.dirname(rel)
        if parent:
            self.mkdir(parent, self.dirs.get(parent, 0o755))
        os.symlink(target, self._abs(rel))
        self.symlinks.append((rel, target))
        self.mtimes[rel] = self._next_mtime()
        return rel

    def finish(self, owner: tuple[int, int] | None) -> None:
        """Modes, owners, then mtimes: files and links first, directories deepest first."""
        for rel, mode in self.files.items():
            os.chmod(self._abs(rel), mode)
        if owner is not None:
            for rel in [b"", *self.dirs, *self.files, *(l for l, _ in self.links), *(s for s, _ in self.symlinks)]:
                os.lchown(self._abs(rel) if rel else self.root, *owner)
        for rel, ns in self.mtimes.items():
            if rel in self.files:
                os.utime(self._abs(rel), ns=(ns, ns))
        for rel, _ in self.symlinks:
            ns = self.mtimes[rel]
            os.utime(self._abs(rel), ns=(ns, ns), follow_symlinks=False)
        for rel in sorted(self.dirs, key=lambda d: d.count(b"/"), reverse=True):
            os.chmod(self._abs(rel), self.dirs[rel])
            ns = self.mtimes[rel]
            os.utime(self._abs(rel), ns=(ns, ns))
        os.chmod(self.root, 0o755)
        os.utime(self.root, ns=(BASE_MTIME * 10**9,) * 2)


def generate_documents_tree(root, scale: str = "small", large_files=DEFAULT_LARGE_FILES,
                            target_bytes: int | None = None, seed: int = 1,
                            owner: tuple[int, int] | None = None) -> dict:
    """Create the tree under `root` (must not exist, or be an empty directory); return its manifest.

    scale: "small" (40 invoice folders, ~340 entries) or "large" (4000 folders, ~19 000 entries, 170 MB).
    large_files: sizes of the incompressible files under ecm/Scans/ (default ~6 MiB in all).
    target_bytes: then add incompressible files (half as ~100 KiB documents in folders of 200, half as
    32 MiB archives) until the tree's unique bytes reach about that size (e.g. 1 GiB for benchmarks).
    owner: (uid, gid) to lchown every entry to, e.g. for a reader running as that user.

    Manifest keys: root, files (regular-file names, hard-link names included), unique_files (inodes),
    dirs (root excluded), symlinks, dangling_symlinks, hardlinks (names beyond the first of an inode),
    empty_files, empty_dirs, bytes (content bytes counted once per inode), bytes_all_names,
    max_path_bytes, large_files (relative paths), paths (named special entries → relative path).
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r} (one of {', '.join(SCALES)})")
    root_b = _fs(root)
    if os.path.lexists(root_b):
        if not os.path.isdir(root_b) or os.listdir(root_b):
            raise FileExistsError(f"{os.fsdecode(root_b)} exists and is not an empty directory")
    else:
        os.makedirs(root_b, 0o755)
    b = _Builder(root_b, seed)
    paths: dict[str, bytes] = {}
    invoices = SCALES[scale]

    # customer invoices: facture/<ref>/<ref>.pdf, some with thumbs/ and uploaded attachments
    for i in range(1, invoices + 1):
        ref = f"FA24{(i - 1) // 30 + 1:02d}-{i:04d}"
        b.file(f"facture/{ref}/{ref}.pdf", b.pdf(2 * KiB + (i * 7919) % (38 * KiB)))
        if i % 4 == 0:
            b.file(f"facture/{ref}/thumbs/{ref}_small.png", b"\x89PNG\r\n\x1a\n" + b.data(600 + i))
        if i % 7 == 0:
            b.file(f"facture/{ref}/Bon de commande signé {i}.pdf", b.pdf(5 * KiB))
    b.mkdir("facture/FA2499-9999 (brouillon)")  # empty dir
    b.file("facture/FA2401-0003/.keep")  # empty file
    # supplier invoices: fournisseur/facture/<n>/<n>/<ref>/…
    for i in range(1, invoices // 2 + 1):
        ref = f"SI24{(i - 1) // 30 + 1:02d}-{i:04d}"
        b.file(f"fournisseur/facture/{i % 10}/{i % 100 // 10}/{ref}/{ref}-Facture fournisseur n°{i}.pdf",
               b.pdf(3 * KiB + (i * 211) % (60 * KiB)))
    b.file("fournisseur/commande/CF2401-0001/CF2401-0001.pdf", b.pdf(9 * KiB))
    for i in range(1, invoices // 4 + 1):
        b.file(f"propale/PR2401-{i:04d}/PR2401-{i:04d}.pdf", b.pdf(4 * KiB + i))
        b.file(f"commande/CO2401-{i:04d}/CO2401-{i:04d}.pdf", b.pdf(3 * KiB + i))
    # third parties, with unicode names
    for i, name in enumerate(["Société Générale d'Énergie", "Müller & Söhne GmbH", "株式会社日本商事",
                              "Ærøskøbing Fiskeri", "Café del Mar 🌊"], start=10):
        b.file(f"societe/{i}/{name}/Contrat signé {i}.pdf", b.pdf(6 * KiB + i))
        b.file(f"societe/{i}/Kbis {name}.pdf", b.pdf(2 * KiB + i))
    b.mkdir("societe/99")  # a third party without documents yet
    # products and users
    for i in range(1, 6):
        b.file(f"produit/PROD-{i:03d}/photo {i}.jpg", b"\xff\xd8\xff\xe0" + b.data(8 * KiB + i))
        b.file(f"produit/PROD-{i:03d}/thumbs/photo {i}_mini.jpg", b"\xff\xd8\xff\xe0" + b.data(KiB + i))
    b.file("users/1/avatar.png", b"\x89PNG\r\n\x1a\n" + b.data(3 * KiB))
    b.mkdir("users/1/private", 0o700)
    paths["private_dir"] = b"users/1/private"
    paths["private_file"] = b.file("users/1/private/RIB personnel.pdf", b.pdf(2 * KiB), mode=0o600)
    b.file("users/1/private/.htaccess", b"Require all denied\n", mode=0o600)
    b.file("users/2/cv 2023.pdf", b.pdf(7 * KiB), mode=0o640)
    # ECM: the free-form tree
    b.file("ecm/Répertoire partagé/Müller – Übersicht 2024.xlsx", b"PK\x03\x04" + b.data(12 * KiB))
    paths["cjk"] = b.file("ecm/日本語/請求書.pdf", b.pdf(4 * KiB))
    paths["emoji"] = b.file("ecm/emoji 📎/note 🧾.txt", "Reçu ✓ — 領収書\n".encode())
    paths["nfd"] = b.file("ecm/Cafe\u0301 de\u0301compose\u0301.txt", b"NFD name\n")
    b.file("ecm/with spaces/trailing space .txt", b"trailing space in the name\n")
    b.file("ecm/with spaces/-leading dash.txt", b"a name starting with a dash\n")
    b.file("ecm/with spaces/quotes 'single' \"double\" $HOME `tick` *star? [x] #hash;semi&amp.txt", b"shell\n")
    b.file("ecm/with spaces/back\\slash and colon: here.txt", b"backslash\n")
    paths["non_utf8"] = b.file(b"ecm/import/" + NON_UTF8_NAME, "latin-1 name, UTF-8 content: é\n".encode())
    paths["long_name"] = b.file(f"ecm/Assemblées/{LONG_NAME}", b.pdf(5 * KiB))
    paths["name_255"] = b.file("ecm/Assemblées/" + _name_of_bytes("Annexe ", 255), b.pdf(KiB))
    deep = "/".join(DEEP_DIRS)
    paths["deep"] = b.file(f"{deep}/{LONG_NAME}", b.pdf(3 * KiB))
    # read-only directory with content, a read-only file, an executable
    b.mkdir("ecm/Archives/2019", 0o555)
    paths["readonly_dir"] = b"ecm/Archives/2019"
    paths["readonly_file"] = b.file("ecm/Archives/2019/Bilan 2019 figé.pdf", b.pdf(10 * KiB), mode=0o444)
    b.file("ecm/Archives/2019/Grand livre 2019.csv", "compte;libellé;débit;crédit\n411000;Clients;100,00;0,00\n".encode())
    b.file("ecm/scripts/export-compta.sh", b"#!/bin/sh\nexec true\n", mode=0o755)
    # mtimes that formats get wrong
    paths["old_mtime"] = b.file("ecm/Archives/Statuts 1999.pdf", b.pdf(3 * KiB), mtime_ns=OLD_MTIME * 10**9)
    paths["subsecond_mtime"] = b.file("ecm/Archives/horodaté.txt", b"sub-second mtime\n", mtime_ns=SUBSECOND_MTIME_NS)
    paths["future_mtime"] = b.file("ecm/Archives/futur 2040.txt", b"after 2038\n", mtime_ns=FUTURE_MTIME * 10**9)
    # empty files and directories
    b.file("admin/temp/empty.log")
    b.file("ecm/Vide/.gitkeep")
    b.mkdir("admin/temp/cache")
    b.mkdir("ecm/Vide/Sous-dossier vide")
    b.mkdir("mycompany/logos/thumbs")
    # hard links: a pair and a group of three
    first = "facture/FA2401-0001/FA2401-0001.pdf"
    paths["hardlink"] = b.hardlink("ecm/Factures envoyées/FA2401-0001.pdf", first)
    paths["hardlink_target"] = _fs(first)
    logo = b.file("mycompany/logos/logo.png", b"\x89PNG\r\n\x1a\n" + b.data(5 * KiB))
    b.hardlink("mycompany/logos/thumbs/logo_small.png", logo)
    b.hardlink("ecm/Logos/logo société.png", logo)
    # symlinks
    paths["symlink_file"] = b.symlink("societe/10/Dernière facture.pdf", "../../facture/FA2401-0001/FA2401-0001.pdf")
    paths["symlink_dir"] = b.symlink("societe/10/factures", "../../facture")
    paths["symlink_abs"] = b.symlink("ecm/Lien absolu.pdf", "/var/www/documents/facture/FA2401-0002/FA2401-0002.pdf")
    paths["symlink_dangling"] = b.symlink("ecm/lien cassé.pdf", "../n'existe pas/manquant.pdf")
    b.symlink("ecm/日本語/リンク.pdf", "請求書.pdf")
    # large incompressible files
    large = [b.big_file(f"ecm/Scans/scan {i + 1:03d}.pdf", size) for i, size in enumerate(large_files)]

    if target_bytes:
        unique = sum(b.sizes.values())
        left = max(0, target_bytes - unique)
        small_part, n = left // 2, 0
        while small_part > 0:
            size = min(small_part, 20 * KiB + b.rng.randrange(160 * KiB))
            b.big_file(f"ecm/Volume/lot {n // 200:04d}/document {n:06d}.pdf", size)
            small_part -= size
            n += 1
        big_part, n = left - left // 2, 0
        while big_part > 0:
            size = min(big_part, 32 * MiB)
            large.append(b.big_file(f"ecm/Volume/archives/archive {n:04d}.zip", size))
            big_part -= size
            n += 1

    b.finish(owner)

    all_links = [rel for rel, _ in b.links]
    empty_dirs = [d for d in b.dirs if not os.listdir(b._abs(d))]
    dangling = [s for s, _ in b.symlinks if not os.path.exists(b._abs(s))]
    every = [*b.dirs, *b.files, *all_links, *(s for s, _ in b.symlinks)]
    return {
        "root": os.fsdecode(root_b),
        "files": len(b.files) + len(all_links),
        "unique_files": len(b.files),
        "dirs": len(b.dirs),
        "symlinks": len(b.symlinks),
        "dangling_symlinks": len(dangling),
        "hardlinks": len(all_links),
        "empty_files": sum(1 for f in b.files if b.sizes[f] == 0),
        "empty_dirs": len(empty_dirs),
        "bytes": sum(b.sizes.values()),
        "bytes_all_names": sum(b.sizes.values()) + sum(b.sizes[e] for _, e in b.links),
        "max_path_bytes": max(len(p) for p in every),
        "large_files": [os.fsdecode(p) for p in large],
        "paths": {k: os.fsdecode(v) for k, v in paths.items()},
    }


def describe_tree(root, *, mtime_ns: bool = False, owner: bool = False, include_root: bool = False) -> dict:
    """{relative path: entry} for everything under `root`, without following symlinks.

    Entry: type ("file", "dir", "symlink", "fifo", "socket", "other"), mode (permission bits incl.
    setuid/setgid/sticky), mtime (whole seconds; nanoseconds instead when mtime_ns); files add size,
    sha256 and link_group (for a file with other names in the tree: the smallest of its names, so two
    copies compare equal whatever the inode numbers; else None); symlinks add target. owner adds
    uid/gid. Paths are os.fsdecode'd (non-UTF-8 bytes become surrogate escapes). include_root adds
    "." for root itself.
    """
    root_b = _fs(root)
    out: dict[str, dict] = {}
    inodes: dict[tuple[int, int], list[str]] = {}

    def entry(abs_path: bytes, rel: str) -> None:
        st = os.lstat(abs_path)
        e = {"mode": stat.S_IMODE(st.st_mode),
             "mtime": st.st_mtime_ns if mtime_ns else st.st_mtime_ns // 10**9}
        if stat.S_ISREG(st.st_mode):
            h = hashlib.sha256()
            with open(abs_path, "rb") as f:
                while chunk := f.read(MiB):
                    h.update(chunk)
            e.update(type="file", size=st.st_size, sha256=h.hexdigest(), link_group=None)
            inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
        elif stat.S_ISDIR(st.st_mode):
            e["type"] = "dir"
        elif stat.S_ISLNK(st.st_mode):
            e.update(type="symlink", target=os.fsdecode(os.readlink(abs_path)))
        elif stat.S_ISFIFO(st.st_mode):
            e["type"] = "fifo"
        elif stat.S_ISSOCK(st.st_mode):
            e["type"] = "socket"
        else:
            e["type"] = "other"
        if owner:
            e.update(uid=st.st_uid, gid=st.st_gid)
        out[rel] = e

    if include_root:
        entry(root_b, ".")
    for dirpath, dirnames, filenames in os.walk(root_b):
        for name in dirnames + filenames:  # os.walk lists symlinks to dirs in dirnames, never follows them
            abs_path = os.path.join(dirpath, name)
            entry(abs_path, os.fsdecode(os.path.relpath(abs_path, root_b)))
    for names in inodes.values():
        if len(names) > 1:
            group = min(names)
            for n in names:
                out[n]["link_group"] = group
    return dict(sorted(out.items()))


def diff_trees(expected: dict, actual: dict, ignore_fields: tuple = ()) -> list[str]:
    """Human-readable differences between two describe_tree results (empty list: equal).
    ignore_fields: entry keys to leave out (e.g. ("mtime",) or ("link_group",))."""
    out = []
    for path in sorted(expected.keys() | actual.keys()):
        a, b = expected.get(path), actual.get(path)
        if a is None:
            out.append(f"unexpected {path!r}: {b}")
        elif b is None:
            out.append(f"missing {path!r}: {a}")
        else:
            for k in sorted((a.keys() | b.keys()) - set(ignore_fields)):
                if a.get(k) != b.get(k):
                    va, vb = a.get(k), b.get(k)
                    if k == "mode" and isinstance(va, int) and isinstance(vb, int):
                        va, vb = oct(va), oct(vb)
                    out.append(f"{path!r}: {k} {va!r} != {vb!r}")
    return out


def make_unreadable(root, rel: str = "ecm/Illisible/secret.pdf", kind: str = "file") -> str:
    """Make an entry a reader cannot open: kind "file" (a chmod-000 file, created if missing) or
    "dir" (a chmod-000 directory holding a file). Returns its absolute path.

    Root still reads it (CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH): run the reader with
    without_dac_override() + argv, or as an unprivileged user, for the read to fail.
    """
    root_b = _fs(root)
    path = os.path.join(root_b, _fs(rel))
    if kind == "file":
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not os.path.lexists(path):
            with open(path, "wb") as f:
                f.write(b"%PDF-1.4\nconfidential\n%%EOF\n")
    elif kind == "dir":
        os.makedirs(path, exist_ok=True)
        inner = os.path.join(path, b"inside.txt")
        if not os.path.lexists(inner):
            with open(inner, "wb") as f:
                f.write(b"behind a closed directory\n")
    else:
        raise ValueError(f"kind must be 'file' or 'dir', not {kind!r}")
    os.chmod(path, 0)
    return os.fsdecode(path)


def without_dac_override() -> list[str]:
    """argv prefix that runs a command without the capabilities that let root ignore file modes
    (empty when not root: an ordinary user already gets EACCES). Uses util-linux setpriv."""
    if os.geteuid() != 0:
        return []
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}", "--"]


def add_special_files(root, rel_dir: str = "admin/run") -> dict:
    """Create a FIFO and a unix-domain socket file under root/rel_dir; return their relative paths.
    They are not read errors: a tar writer stores a FIFO as a FIFO entry and skips sockets."""
    root_b = _fs(root)
    d = os.path.join(root_b, _fs(rel_dir))
    os.makedirs(d, exist_ok=True)
    fifo = os.path.join(d, b"queue.fifo")
    os.mkfifo(fifo, 0o600)
    sock_path = os.path.join(d, b"app.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(sock_path)  # the socket file stays after close
    return {"fifo": os.fsdecode(os.path.relpath(fifo, root_b)),
            "socket": os.fsdecode(os.path.relpath(sock_path, root_b))}
