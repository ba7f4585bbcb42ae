// A throwaway PostgreSQL cluster the drill starts for itself (issue 21, SPEC §2 `drill`):
// initdb into a private directory under a work directory, a postmaster listening on a Unix
// socket in that directory only (listen_addresses = '': nothing on the network, not even
// loopback TCP; the socket directory is mode 0700), trust authentication for the OS user
// running erp-backup, fsync off (a drill proves the backup, not durability), stopped (fast
// shutdown, then SIGKILL after a grace) and its directory removed when the object is
// destroyed — on success, on failure and on cancellation (SIGTERM). The directory holds a
// lock file locked for the object's lifetime (pg/drill_dir_lock.h). A SIGKILLed erp-backup
// leaves the directory: the next start() removes this user's drill leftovers (cluster,
// documents and scratch directories whose lock is free; pg/cluster_leftovers.h) and logs them.
//
// Not for root: initdb and postgres refuse to run as root, so start() refuses first with a
// config error ("drill runs its own PostgreSQL, which refuses to run as root (uid 0): run as a
// non-root user (the image's default user 10001, or securityContext.runAsUser), or
// DRILL_TARGET=restore").
//
// The server programs are found in DRILL_PG_BINDIR when set, else in the directory of an
// `initdb` on PATH, else the newest /usr/lib/postgresql/<major>/bin holding both initdb and
// postgres. Their major version must be at least the backup's server major version
// (pg_restore into an older server fails on newer syntax): the caller checks with
// server_major().
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "core/cancellation.h"
#include "core/error.h"
#include "core/logger.h"
#include "pg/pg_settings.h"

namespace erp::pg {

struct EmbeddedClusterOptions {
  std::filesystem::path work_dir;  // DRILL_WORK_DIR (default $TMPDIR, else /tmp); must exist
  std::filesystem::path bin_dir;   // empty: found as above
  std::string database = "drill";  // created after start (owned by the OS user)
  // What initdb and postgres inherit (PATH, LANG, TZ): config::inherited_child_environment.
  std::map<std::string, std::string> base_environment;
  std::chrono::milliseconds start_timeout{60000};
  std::chrono::milliseconds stop_grace{10000};  // fast shutdown, then SIGKILL
};

class EmbeddedCluster {
 public:
  // initdb, start, wait until it accepts connections, CREATE DATABASE options.database.
  // Errors: config (root; no server programs found, naming where it looked and
  // DRILL_PG_BINDIR; work_dir missing or not writable, naming DRILL_WORK_DIR); permanent
  // (initdb or postgres failed: the tail of its log); cancelled. Nothing is left behind on
  // any error.
  static Result<std::unique_ptr<EmbeddedCluster>> start(const EmbeddedClusterOptions& options,
                                                        Logger& log,
                                                        const Cancellation& cancellation);
  ~EmbeddedCluster();  // stop() then remove the directory; never throws
  EmbeddedCluster(const EmbeddedCluster&) = delete;
  EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;

  // Connection settings for the drill database: host = the socket directory, port, dbname,
  // user = the OS user; no password.
  PgSettings settings() const;
  int server_major() const;            // 15 for 15.x
  std::string server_version() const;  // "15.10 (Debian ...)" as SHOW server_version says
  const std::filesystem::path& directory() const;  // the cluster's private directory

  // Fast shutdown now (idempotent); the destructor calls it. Errors: permanent when the
  // postmaster had to be killed or exited non-zero (logged by the destructor).
  Result<void> stop();

 private:
  struct State;
  explicit EmbeddedCluster(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace erp::pg
