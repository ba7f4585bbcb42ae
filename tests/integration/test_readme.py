"""Issue 10, item 7: the settings tables of docs/configuration.md and the settings the code reads,
both ways; issue 19: the README is a front page over docs/ whose links all resolve.

Needs no server: it reads the sources. What the code reads is enumerated from src/config, the only
module that reads the environment (docs/architecture.md; checked below: getenv appears nowhere else):

- every whole string literal in src/config/*.cc and *.h that is an environment variable name
  (`env.get("S3_BUCKET")`, tables such as restore_target_config.cc's, constants such as
  kCaBundleVariable),
- `NAME_FILE` for every `read_value_or_file(env, "NAME")` (the secret-from-a-file form),
- the libpq family: every variable in src/pg/pg_settings.cc's keyword table (PGHOST, PGSSLMODE,
  ...), which backup_config.cc reads by iterating pg_environment_variables(),
- minus what is only passed through to child processes (PATH, HOME, LANG, LC_ALL, TZ, read from
  tools_config.cc's inherited_child_environment list): those are not settings of this tool,
- and not counting the files that list names rather than read them (LISTS: the list of known
  variables, and the unknown-variable check's table of other tools' names).

Issue 17 adds the list of every variable the tool reads (src/config/known_variables.cc), which the
unknown-variable check measures names against: it must equal what src/config reads, both ways (a
setting missing from it would be refused as a typo), its later-version names must be read by
nothing, its safety settings and the tool's prefixes must be the ones docs/configuration.md names,
and the tests' clean environment (tests/harness/erp_cli.py) must strip every tool prefix.

The documented side is every Markdown table of docs/configuration.md (the settings page; the
README only links to it) whose header is `| variable | default |...`; a row names
each backticked `UPPER_CASE` word of its first cell, must give a default (non-empty second cell),
covers `NAME_FILE` for its names when the row mentions `NAME_FILE`, and covers the whole libpq
family when its first cell ends with an ellipsis (`PGHOST`, `PGPORT`, ..., `…`).

Issue 19 moved everything but a front page from the README into docs/: the README stays at most
README_MAX_LINES lines and its table of contents links every docs/*.md page; every relative link
of the README and of docs/*.md names a file of the repository, and a `#fragment` a heading of the
page it points at (GitHub's anchors); and no file of the repository points outside it at the
shared folder the project's notes once lived in.
"""

from __future__ import annotations

import glob
import os
import re
import unittest

ROOT = os.environ.get("ERP_SOURCE_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
# The page that documents every setting (its tables are what this test holds to the code).
SETTINGS_PAGE = os.path.join("docs", "configuration.md")
README_MAX_LINES = 250


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


# Files of src/config that list variable names without reading them.
LISTS = ("known_variables.cc", "known_variables.h", "unknown_variables.cc", "unknown_variables.h")


def code_settings() -> tuple[set[str], set[str]]:
    """(names read explicitly by src/config, the libpq family read through pg_settings)."""
    names: set[str] = set()
    for path in sorted(glob.glob(os.path.join(ROOT, "src", "config", "*.cc")) +
                       glob.glob(os.path.join(ROOT, "src", "config", "*.h"))):
        if os.path.basename(path) in LISTS:
            continue
        with open(path, encoding="utf-8") as f:
            source = strip_comments(f.read())
        names.update(n for n in re.findall(r'"([^"\\\n]*)"', source) if NAME.match(n))
        names.update(n + "_FILE" for n in re.findall(r'read_value_or_file\(env, "([A-Z_]+)"\)', source))
    return names - child_passthrough(), libpq_family()


def readme_rows() -> list[dict]:
    rows = []
    lines = read(SETTINGS_PAGE).splitlines()
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
        self.assertEqual(missing, [], "read by src/config but in no settings table of docs/configuration.md (add a row "
                                      "with its default)")
        self.assertTrue(family_rows, "no row of docs/configuration.md documents the libpq family (`PGHOST`, …)")
        undocumented_family = sorted(n for n in family if n not in documented and not family_rows)
        self.assertEqual(undocumented_family, [])
        without_default = sorted(f"{n} ({SETTINGS_PAGE} line {documented[n]['line']})" for n in explicit
                                 if not documented[n]["default"])
        self.assertEqual(without_default, [], "a settings row must give the default")

    def test_every_readme_table_row_is_read_by_the_code(self):
        explicit, family = code_settings()
        unread = sorted({f"{n} ({SETTINGS_PAGE} line {row['line']})" for row in readme_rows() for n in row["names"]
                         if n not in explicit and n not in family})
        self.assertEqual(unread, [], "documented in a settings table of docs/configuration.md but never read by src/config")


def known_list(array: str) -> dict[str, bool]:
    """known_variables.cc's array `array` (kKnown or kLater): name -> safety."""
    source = strip_comments(read("src/config/known_variables.cc"))
    match = re.search(r"constexpr KnownVariable " + array + r"\[\] = \{(.*?)\n\};", source, re.S)
    if not match:
        raise AssertionError(f"known_variables.cc no longer holds `{array}[] = {{...}};`: update test_readme.py")
    entries = re.findall(r'\{"([A-Z0-9_]+)"(, kSafety)?\}', match.group(1))
    return {name: bool(safety) for name, safety in entries}


def tool_prefixes() -> list[str]:
    source = strip_comments(read("src/config/known_variables.cc"))
    match = re.search(r"kPrefixes = \{(.*?)\};", source, re.S)
    if not match:
        raise AssertionError("known_variables.cc no longer holds `kPrefixes = {...};`: update test_readme.py")
    return re.findall(r'"([A-Z0-9_]+)"', match.group(1))


def readme_paragraph_names(marker: str) -> list[str]:
    """The backticked names of the settings page's paragraph that starts with `marker`."""
    text = read(SETTINGS_PAGE)
    start = text.find("\n" + marker)
    if start < 0:
        raise AssertionError(f"{SETTINGS_PAGE} has no paragraph starting with {marker!r}")
    end = text.find("\n\n", start + 1)
    return re.findall(r"`([A-Z][A-Z0-9_]*)`", text[start:end])


class KnownVariables(unittest.TestCase):
    def test_the_list_holds_exactly_what_src_config_reads(self):
        explicit, _ = code_settings()
        known = set(known_list("kKnown"))
        self.assertGreater(len(known), 60)
        self.assertEqual(sorted(explicit - known), [],
                         "read by src/config but missing from src/config/known_variables.cc: the "
                         "unknown-variable check would refuse it as a typo")
        self.assertEqual(sorted(known - explicit), [],
                         "listed in src/config/known_variables.cc but read by nothing in src/config")

    def test_later_version_names_are_read_by_nothing_yet(self):
        explicit, family = code_settings()
        later = set(known_list("kLater"))
        self.assertIn("AGE_RECIPIENTS", later)
        self.assertEqual(sorted(later & (explicit | family)), [],
                         "now read by src/config: move it from kLater to kKnown")

    def test_the_readme_names_the_safety_settings(self):
        safety = {n for n, s in {**known_list("kKnown"), **known_list("kLater")}.items() if s}
        self.assertIn("BACKUP_REQUIRE_READONLY_ROLE", safety)
        readme = [n for n in readme_paragraph_names("**Safety settings**") if not n.endswith("_")]
        self.assertEqual(sorted(readme), sorted(safety))

    def test_the_readme_and_the_tests_know_every_tool_prefix(self):
        prefixes = tool_prefixes()
        self.assertIn("BACKUP_", prefixes)
        readme = [n for n in readme_paragraph_names("**Unknown variables**") if n.endswith("_")]
        self.assertEqual(sorted(readme), sorted(prefixes))
        from erp_cli import SETTING_PREFIXES
        self.assertEqual([p for p in prefixes if not p.startswith(SETTING_PREFIXES)], [],
                         "tests/harness/erp_cli.py's SETTING_PREFIXES must strip every tool prefix "
                         "from the environment the tests inherit")


def github_anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """The anchors of a page's headings (fenced code skipped; a repeated heading gets -1, -2, ...)."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        heading = None if fenced else re.match(r"^#{1,6} (.*)$", line)
        if heading:
            anchor = github_anchor(heading.group(1))
            count = seen.get(anchor, 0)
            seen[anchor] = count + 1
            found.add(anchor if count == 0 else f"{anchor}-{count}")
    return found


def markdown_pages() -> list[str]:
    """README.md and every page of docs/, relative to the repository."""
    pages = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))
    return ["README.md", *pages]


def relative_links(text: str) -> list[str]:
    """The targets of the page's Markdown links that are not URLs (`[text](target)`)."""
    without_code = re.sub(r"```.*?```", "", text, flags=re.S)
    return [t for t in re.findall(r"\]\(([^)\s]+)\)", without_code) if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]


class FrontPageAndDocs(unittest.TestCase):
    def test_the_readme_is_a_front_page(self):
        lines = read("README.md").splitlines()
        self.assertLessEqual(len(lines), README_MAX_LINES, "the README is the front page: move details to docs/")
        # The two commands stay the README's first lines after its title.
        self.assertEqual(lines[2:6], ["```sh", lines[3], lines[4], "```"])
        self.assertTrue(lines[3].startswith("bash scripts/demo.sh"), lines[3])
        self.assertTrue(lines[4].startswith("bash scripts/test.sh"), lines[4])

    def test_the_readme_lists_every_docs_page(self):
        pages = [p for p in markdown_pages() if p != "README.md"]
        self.assertGreaterEqual(len(pages), 9)
        contents = read("README.md").split("\n## Documentation\n", 1)
        self.assertEqual(len(contents), 2, "the README has no `## Documentation` table of contents")
        listed = set(relative_links(contents[1]))
        self.assertEqual([p for p in pages if p not in listed], [],
                         "docs pages missing from the README's table of contents")

    def test_every_relative_link_resolves(self):
        broken = []
        for page in markdown_pages():
            directory = os.path.dirname(os.path.join(ROOT, page))
            for target in relative_links(read(page)):
                path, _, fragment = target.partition("#")
                resolved = os.path.normpath(os.path.join(directory, path)) if path else os.path.join(ROOT, page)
                if os.path.relpath(resolved, ROOT).split(os.sep)[0] == "..":
                    broken.append(f"{page}: {target} (outside the repository)")
                elif not os.path.exists(resolved):
                    broken.append(f"{page}: {target} (no such file)")
                elif fragment and resolved.endswith(".md"):
                    with open(resolved, encoding="utf-8") as f:
                        if fragment not in anchors(f.read()):
                            broken.append(f"{page}: {target} (no such heading)")
        self.assertGreater(sum(len(relative_links(read(p))) for p in markdown_pages()), 50)
        self.assertEqual(broken, [])

    def test_nothing_points_at_the_old_shared_folder(self):
        needle = "../" + "shared/"
        offenders = []
        for directory, subdirectories, files in os.walk(ROOT):
            subdirectories[:] = [d for d in subdirectories
                                 if d not in (".git", "node_modules") and not d.startswith("build")]
            for name in files:
                path = os.path.join(directory, name)
                try:
                    with open(path, encoding="utf-8") as f:
                        if needle in f.read():
                            offenders.append(os.path.relpath(path, ROOT))
                except (UnicodeDecodeError, OSError):
                    continue
        self.assertEqual(offenders, [], "files outside the repository are not documentation: use docs/")



def folder_includes(folder: str) -> set[str]:
    """The other src/ folders that the files of src/<folder>/ include (core/ included)."""
    found = set()
    for directory, _, files in os.walk(os.path.join(ROOT, "src", folder)):
        for name in files:
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                found.update(re.findall(r'^#include "([a-z0-9_]+)/', f.read(), flags=re.M))
    return found - {folder}


class Layering(unittest.TestCase):
    """docs/architecture.md's folder table against the code, both ways: each folder includes
    core/ and exactly the folders its row names (`src/app/`: only folders above it), so a
    header that points up a layer fails here instead of growing unnoticed."""

    def test_each_folder_includes_what_the_architecture_page_says(self):
        rows = re.findall(r"^\| `src/([a-z0-9_]+)/` \|[^|]*\|([^|]*)\|$", read("docs/architecture.md"), flags=re.M)
        self.assertGreaterEqual(len(rows), 14, "the architecture page's folder table")
        folders = [folder for folder, _ in rows]
        self.assertEqual(sorted(folders), sorted(d for d in os.listdir(os.path.join(ROOT, "src"))
                                                 if os.path.isdir(os.path.join(ROOT, "src", d))))
        wrong = []
        for folder, cell in rows:
            actual = folder_includes(folder) - {"core"}
            if "everything above" in cell:
                documented = set(folders[:folders.index(folder)]) - {"core"}
                extra = actual - documented
                if extra:
                    wrong.append(f"src/{folder}/ includes {sorted(extra)}, not above it")
                continue
            documented = set(re.findall(r"`([a-z0-9_]+)/`", cell))
            if actual != documented:
                wrong.append(f"src/{folder}/ includes {sorted(actual)}, the page says {sorted(documented)}")
        self.assertEqual(folder_includes("core"), set(), "core/ includes nothing above it")
        self.assertEqual(wrong, [])


if __name__ == "__main__":
    unittest.main()
