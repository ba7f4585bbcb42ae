#!/usr/bin/env bash
# Installs pg_dump, pg_restore and psql of PostgreSQL MAJOR into /usr/local/bin of a Debian
# image, and nothing else: run by the Containerfile's runtime stage, as root.
#
#   install-pg-client.sh MAJOR
#
# Where the client comes from: Debian's own postgresql-client-MAJOR when the base's release
# has that major (Debian 12: 15), else the PostgreSQL project's repository apt.postgresql.org
# (PGDG), whose signing key is taken from Debian's postgresql-common package (downloaded and
# checked by apt, unpacked, never installed), so no key travels in this repository.
#
# Debian runs every client through pg_wrapper, a Perl script, so postgresql-client-MAJOR pulls
# in Perl (perl, libperl5.36, perl-modules-5.36: ~45 MB on a slim base). The three programs
# need only their shared libraries: they are copied to /usr/local/bin, the packages that provide
# their libraries are kept (marked manual), and the client package, pg_wrapper and Perl are
# purged again (the base's own packages merely recommend Perl, so recommendations must not keep
# it). The script then checks that every library resolves and that each program runs.
set -euo pipefail

major="${1:?usage: install-pg-client.sh MAJOR (e.g. 15)}"
if [[ ! "$major" =~ ^[0-9]+$ ]]; then
  echo "install-pg-client.sh: PG_MAJOR must be a number like 15 or 17, got '$major'" >&2
  exit 2
fi
package="postgresql-client-$major"
tools=(pg_dump pg_restore psql)
export DEBIAN_FRONTEND=noninteractive

perl_before="$(dpkg-query -W -f '${db:Status-Abbrev}' perl 2>/dev/null || true)"
apt-get update -qq
if ! apt-cache show "$package" >/dev/null 2>&1; then
  # shellcheck source=/dev/null
  codename="$(. /etc/os-release && echo "$VERSION_CODENAME")"
  echo "Debian ($codename) has no $package; using apt.postgresql.org"
  work="$(mktemp -d)"
  (cd "$work" && apt-get download -qq postgresql-common &&
    dpkg-deb -x postgresql-common_*.deb unpacked)
  install -D -m 0644 "$work/unpacked/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc" \
    /etc/apt/keyrings/apt.postgresql.org.asc
  rm -rf "$work"
  echo "deb [signed-by=/etc/apt/keyrings/apt.postgresql.org.asc]" \
    "https://apt.postgresql.org/pub/repos/apt ${codename}-pgdg main" \
    >/etc/apt/sources.list.d/pgdg.list
  apt-get update -qq
  if ! apt-cache show "$package" >/dev/null 2>&1; then
    echo "install-pg-client.sh: $package is in neither Debian $codename nor apt.postgresql.org" \
      "(hint: PG_MAJOR is the PostgreSQL major version, e.g. 15, 16, 17)" >&2
    exit 1
  fi
fi
# PGDG's client needs PGDG's libpq5 (newer than Debian's); apt picks it as the higher version.
apt-get install -y -qq --no-install-recommends "$package" libpq5

for tool in "${tools[@]}"; do
  install -m 0755 "/usr/lib/postgresql/$major/bin/$tool" "/usr/local/bin/$tool"
done
# The packages that own the libraries the copies link stay installed.
mapfile -t libraries < <(cd /usr/local/bin && ldd "${tools[@]}" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u)
owners=()
for library in "${libraries[@]}"; do
  owner="$(dpkg-query -S "*/${library##*/}" | awk -F: 'NR == 1 {print $1}')"
  owners+=("$owner")
done
mapfile -t owners < <(printf '%s\n' "${owners[@]}" | sort -u)
apt-mark manual "${owners[@]}" >/dev/null
apt-get purge -y -qq "$package" postgresql-client-common >/dev/null
apt-get autoremove --purge -y -qq -o APT::AutoRemove::RecommendsImportant=false \
  -o APT::AutoRemove::SuggestsImportant=false >/dev/null
if [[ "$perl_before" != ii* ]] &&
  dpkg-query -W -f '${db:Status-Abbrev}' perl 2>/dev/null | grep -q '^ii'; then
  echo "install-pg-client.sh: perl is still installed after the purge" >&2
  exit 1
fi

for tool in "${tools[@]}"; do
  if ldd "/usr/local/bin/$tool" | grep 'not found'; then
    echo "install-pg-client.sh: $tool misses a library after the purge" >&2
    exit 1
  fi
  "/usr/local/bin/$tool" --version
done
