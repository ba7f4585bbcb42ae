#!/usr/bin/env bash
# Installs the two PostgreSQL MAJOR server programs the drill's own cluster runs (`initdb` and
# `postgres`, pg/server_programs.h finds them in /usr/lib/postgresql/MAJOR/bin) with exactly the
# files they read, and nothing else of the server package: run by the Containerfile's runtime
# stage, as root, after install-pg-client.sh (whose apt sources, PGDG's included, it reuses).
#
#   install-pg-server.sh MAJOR
#
# Kept, at the paths the binaries were built for (their share and lib directories are found
# relative to the bin directory, so nothing needs configuring):
#   bin/initdb, bin/postgres             the programs
#   lib/plpgsql.so, lib/dict_snowball.so  what initdb's bootstrap scripts load (plpgsql is
#                                         created in template1; snowball_create.sql makes the
#                                         text search dictionaries)
#   share/ minus extension/ other than plpgsql's control and script files: postgres.bki, the
#   system views and functions, sql_features.txt, tsearch_data (the snowball stop words),
#   timezonesets (timezone_abbreviations=Default is read at start), the *.sample configs.
# Not kept: every other program and extension, and llvmjit.so (JIT is off unless loaded; the
# drill never enables it), so LLVM (~100 MB) leaves with the package. Debian builds PostgreSQL
# with --with-system-tzdata: the time zones are the base's tzdata (/usr/share/zoneinfo), and the
# drill's cluster runs in UTC/GMT anyway. Locale: the drill runs initdb --locale=C -E UTF8, which
# needs no generated locales.
# The packages owning the libraries the two programs link (libicu, libxml2, libssl, ...) are
# marked manual; the server package, postgresql-common and Perl are purged again.
set -euo pipefail

major="${1:?usage: install-pg-server.sh MAJOR (e.g. 15)}"
if [[ ! "$major" =~ ^[0-9]+$ ]]; then
  echo "install-pg-server.sh: PG_MAJOR must be a number like 15 or 17, got '$major'" >&2
  exit 2
fi
package="postgresql-$major"
bin="/usr/lib/postgresql/$major/bin"
lib="/usr/lib/postgresql/$major/lib"
share="/usr/share/postgresql/$major"
export DEBIAN_FRONTEND=noninteractive

perl_before="$(dpkg-query -W -f '${db:Status-Abbrev}' perl 2>/dev/null || true)"
# The package's postinst would otherwise create a cluster "main" (and start it).
mkdir -p /etc/postgresql-common/createcluster.d
echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/no-main-cluster.conf
apt-get install -y -qq --no-install-recommends "$package" >/dev/null

stage="$(mktemp -d)"
install -D -m 0755 "$bin/initdb" "$stage$bin/initdb"
install -D -m 0755 "$bin/postgres" "$stage$bin/postgres"
install -D -m 0644 "$lib/plpgsql.so" "$stage$lib/plpgsql.so"
install -D -m 0644 "$lib/dict_snowball.so" "$stage$lib/dict_snowball.so"
mkdir -p "$stage$share"
cp -a "$share/." "$stage$share/"
find "$stage$share/extension" -mindepth 1 ! -name 'plpgsql*' -delete

mapfile -t libraries < <(ldd "$stage$bin/initdb" "$stage$bin/postgres" "$stage$lib"/*.so |
  awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u)
owners=()
for library in "${libraries[@]}"; do
  owners+=("$(dpkg-query -S "*/${library##*/}" | awk -F: 'NR == 1 {print $1}')")
done
mapfile -t owners < <(printf '%s\n' "${owners[@]}" | sort -u)
apt-mark manual "${owners[@]}" >/dev/null
apt-get purge -y -qq "$package" postgresql-common postgresql-client-common \
  "postgresql-client-$major" >/dev/null 2>&1 || apt-get purge -y -qq "$package" postgresql-common >/dev/null
apt-get autoremove --purge -y -qq -o APT::AutoRemove::RecommendsImportant=false \
  -o APT::AutoRemove::SuggestsImportant=false >/dev/null
rm -rf /etc/postgresql-common /etc/postgresql "/usr/lib/postgresql/$major" "$share"
cp -a "$stage/." /
rm -rf "$stage"
if [[ "$perl_before" != ii* ]] &&
  dpkg-query -W -f '${db:Status-Abbrev}' perl 2>/dev/null | grep -q '^ii'; then
  echo "install-pg-server.sh: perl is still installed after the purge" >&2
  exit 1
fi

for program in initdb postgres; do
  if ldd "$bin/$program" "$lib"/*.so | grep 'not found'; then
    echo "install-pg-server.sh: $program misses a library after the purge" >&2
    exit 1
  fi
  "$bin/$program" --version
done
