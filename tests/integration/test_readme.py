"""Issue 10, item 7: the README's settings tables and the settings the code reads, both ways.

Needs no server: it reads the sources. What the code reads is enumerated from src/config, the only
module that reads the environment (DESIGN.md; checked below: getenv appears nowhere else):

- every whole string literal in src/config/*.cc and *.h that is an environment variable name
  (`env.get("S3_BUCKET")`, tables such as restore_target_config.cc's, constants such as
  kCaBundleVariable),
- `NAME_FILE` for every `read_value_or_file(env, "NAME")` (the secret-from-a-file form),
- the libpq family: every variable in src/pg/pg_settings.cc's keyword table (PGHOST, PGSSLMODE,
  ...), which backup_config.cc reads by iterating pg_environment_variables(),
- minus what is only passed through to child processes (PATH, HOME, LANG, LC_ALL, TZ, read from
  tools_config.cc's inherited_child_environment list): those are not settings of this tool.

The README side is every Markdown table whose header is `| variable | default |...`; a row names
each backticked `UPPER_CASE` word of its first cell, must give a default (non-empty second cell),
covers `NAME_FILE` for its names when the row mentions `NAME_FILE`, and covers the whole libpq
family when its first cell ends with an ellipsis (`PGHOST`, `PGPORT`, ..., `…`).
"""

from __future__ import annotations

import glob
import os
import re
import unittest

ROOT = os.environ.get("ERP_SOURCE_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")


def read(path: str) -> str:
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def strip_comments(source: str) -> str:
    return re.sub(r"//[^\n]*", "", source)


def child_passthrough() -> set[str]:
    source = read("src/config/tools_config.cc")
    match = re.search(r"for \(const char\* name : \{([^}]*)\}\)", source)
    if not match:
        raise AssertionError("tools_config.cc no longer lists the inherited variables as "
                             "`for (const char* name : {...})`: update test_readme.py")
    return set(re.findall(r'"([A-Z_]+)"', match.group(1)))


def libpq_family() -> set[str]:
    names = set(re.findall(r'\{"[a-z_]+", "(PG[A-Z_]+)"\}', read("src/pg/pg_settings.cc")))
    if len(names) < 10:
        raise AssertionError("src/pg/pg_settings.cc's keyword table was not found: update test_readme.py")
    return names


def code_settings() -> tuple[set[str], set[str]]:
    """(names read explicitly by src/config, the libpq family read through pg_settings)."""
    names: set[str] = set()
    for path in sorted(glob.glob(os.path.join(ROOT, "src", "config", "*.cc")) +
                       glob.glob(os.path.join(ROOT, "src", "config", "*.h"))):
        with open(path, encoding="utf-8") as f:
            source = strip_comments(f.read())
        names.update(n for n in re.findall(r'"([^"\\\n]*)"', source) if NAME.match(n))
        names.update(n + "_FILE" for n in re.findall(r'read_value_or_file\(env, "([A-Z_]+)"\)', source))
    return names - child_passthrough(), libpq_family()


def readme_rows() -> list[dict]:
    rows = []
    lines = read("README.md").splitlines()
    for index, line in enumerate(lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or cells[0] != "variable" or cells[1] != "default":
            continue
        if not re.match(r"^\|[-| :]+\|$", lines[index + 1].strip()):
            continue
        for number in range(index + 2, len(lines)):
            row = lines[number].strip()
            if not row.startswith("|"):
                break
            cells = [c.strip() for c in row.strip("|").split("|")]
            names = [n for n in re.findall(r"`([^`]+)`", cells[0]) if NAME.match(n)]
            rows.append({"line": number + 1, "names": names, "default": cells[1] if len(cells) > 1 else "",
                         "file_forms": "NAME_FILE" in row,
                         "family": cells[0].rstrip().endswith("…") or cells[0].rstrip().endswith("...")})
    return rows


class ReadmeSettingsTable(unittest.TestCase):
    def test_only_config_reads_the_environment(self):
        offenders = []
        for path in glob.glob(os.path.join(ROOT, "src", "**", "*.*"), recursive=True):
            if path.endswith(("environment.cc",)):
                continue
            with open(path, encoding="utf-8") as f:
                if re.search(r"\b(getenv|secure_getenv)\s*\(|\benviron\b", strip_comments(f.read())):
                    offenders.append(os.path.relpath(path, ROOT))
        self.assertEqual(offenders, [], "only src/config/environment.cc may read the process environment")

    def test_the_scan_finds_what_it_must(self):
        # Guards against a scan that silently finds nothing (a refactor of the readers).
        explicit, family = code_settings()
        for name in ("S3_BUCKET", "AWS_CA_BUNDLE", "AWS_ACCESS_KEY_ID_FILE", "PGPASSWORD_FILE",
                     "RESTORE_PGHOST", "RESTORE_PGPASSWORD_FILE", "METRICS_TEXTFILE", "PUSHGATEWAY_URL"):
            self.assertIn(name, explicit)
        self.assertIn("PGSSLROOTCERT", family)
        self.assertNotIn("PATH", explicit)
        self.assertGreater(len(readme_rows()), 40)

    def test_every_setting_the_code_reads_is_in_a_readme_table_with_a_default(self):
        explicit, family = code_settings()
        rows = readme_rows()
        documented: dict[str, dict] = {}
        for row in rows:
            for name in row["names"]:
                documented[name] = row
                if row["file_forms"]:
                    documented.setdefault(name + "_FILE", row)
        family_rows = [r for r in rows if r["family"] and r["names"] and set(r["names"]) <= family]
        missing = sorted(n for n in explicit if n not in documented)
        self.assertEqual(missing, [], "read by src/config but in no README settings table (add a row "
                                      "with its default)")
        self.assertTrue(family_rows, "no README row documents the libpq family (`PGHOST`, …)")
        undocumented_family = sorted(n for n in family if n not in documented and not family_rows)
        self.assertEqual(undocumented_family, [])
        without_default = sorted(f"{n} (README line {documented[n]['line']})" for n in explicit
                                 if not documented[n]["default"])
        self.assertEqual(without_default, [], "a settings row must give the default")

    def test_every_readme_table_row_is_read_by_the_code(self):
        explicit, family = code_settings()
        unread = sorted({f"{n} (README line {row['line']})" for row in readme_rows() for n in row["names"]
                         if n not in explicit and n not in family})
        # DB_COMPRESSION arrives with the dbzstd branch (README row and reader together).
        self.assertEqual(unread, [], "documented in a README settings table but never read by src/config")


if __name__ == "__main__":
    unittest.main()
