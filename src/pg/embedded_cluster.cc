#include "pg/embedded_cluster.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>

#include "pg/cluster_leftovers.h"
#include "pg/drill_dir_lock.h"
#include "pg/pg_session.h"
#include "pg/server_programs.h"
#include "process/child_process.h"

namespace erp::pg {
namespace {

namespace fs = std::filesystem;

// The socket's port number: only its name (.s.PGSQL.5432) in the private directory, no TCP.
constexpr int kPort = 5432;
// How often readiness is probed while the postmaster starts.
constexpr int kReadyPollMs = 50;

// What initdb and postgres inherit: the base environment minus libpq's PG* (a PGDATA or
// PGPORT of the source must not steer the drill's own server).
process::ChildEnvironment child_environment(const std::map<std::string, std::string>& base) {
  process::ChildEnvironment environment;
  for (const auto& [name, value] : base) {
    if (!name.starts_with("PG")) environment.set(name, value);
  }
  return environment;
}

Result<std::string> os_user_name() {
  const uid_t uid = ::geteuid();
  std::vector<char> buffer(16384);
  passwd record{};
  passwd* found = nullptr;
  const int error = ::getpwuid_r(uid, &record, buffer.data(), buffer.size(), &found);
  if (error != 0 || found == nullptr) {
    return make_error(ErrorKind::config,
                      "the drill's own PostgreSQL needs a user name, and uid " +
                          std::to_string(uid) +
                          " has none (initdb refuses: no passwd entry; hint: run as a user "
                          "listed in /etc/passwd, e.g. the image's default user 10001, or "
                          "DRILL_TARGET=restore)");
  }
  return std::string(found->pw_name);
}

Result<void> check_work_dir(const fs::path& work_dir) {
  std::error_code error;
  if (!fs::is_directory(work_dir, error)) {
    return make_error(ErrorKind::config,
                      "DRILL_WORK_DIR " + work_dir.string() +
                          " is not an existing directory (hint: create it, or mount an emptyDir "
                          "there; the default is $TMPDIR, else /tmp)");
  }
  if (::access(work_dir.c_str(), W_OK | X_OK) != 0) {
    return make_error(ErrorKind::config,
                      "DRILL_WORK_DIR " + work_dir.string() + " is not writable by uid " +
                          std::to_string(::geteuid()) + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace

struct EmbeddedCluster::State {
  Logger* log = nullptr;
  fs::path directory;  // erp-drill-<pid>-<random>, 0700: the socket directory too
  DrillDirLock lock;   // its kDrillLockName, held until the directory is removed
  std::string user;
  std::string database;
  std::string version;
  int major = 0;
  std::chrono::milliseconds stop_grace{10000};
  std::optional<process::ChildProcess> postmaster;
  std::optional<Result<void>> stopped;  // set once stop() ran

  fs::path data_dir() const { return directory / "data"; }

  PgSettings settings_for(const std::string& dbname) const {
    PgSettings settings;
    settings.params["host"] = directory.string();
    settings.params["port"] = std::to_string(kPort);
    settings.params["dbname"] = dbname;
    settings.params["user"] = user;
    settings.params["sslmode"] = "disable";
    return settings;
  }
};

EmbeddedCluster::EmbeddedCluster(std::unique_ptr<State> state) : state_(std::move(state)) {}

namespace {

// initdb into `data`; cancellable. Errors: permanent with initdb's stderr tail; cancelled.
Result<void> run_initdb(const ServerPrograms& programs, const fs::path& data,
                        const std::string& user,
                        const std::map<std::string, std::string>& environment,
                        const Cancellation& cancellation) {
  process::SpawnOptions spawn;
  spawn.program = programs.initdb.string();
  spawn.display_name = "initdb";
  spawn.arguments = {"-D",   data.string(), "-A",         "trust", "-E",
                     "UTF8", "--no-sync",   "--locale=C", "-U",    user};
  spawn.environment = child_environment(environment);
  spawn.stdout_mode = process::Stdio::null;
  auto child = process::ChildProcess::spawn(spawn);
  if (!child) return std::unexpected(child.error());
  auto status = child->wait(cancellation);
  if (!status) {
    child->terminate();
    return make_error(ErrorKind::cancelled, "initdb stopped: cancelled");
  }
  return child->check(*status);
}

Result<process::ChildProcess> spawn_postmaster(
    const ServerPrograms& programs, const fs::path& directory,
    const std::map<std::string, std::string>& environment, std::chrono::milliseconds grace) {
  process::SpawnOptions spawn;
  spawn.program = programs.postgres.string();
  spawn.display_name = "postgres";
  // A restore target for one drill: reachable only through the 0700 socket directory, no
  // durability (a crash loses a drill, which is simply run again), little memory, shared
  // memory in the data directory (a container's /dev/shm is often 64 MiB).
  spawn.arguments = {"-D", (directory / "data").string(),
                     "-k", directory.string(),
                     "-p", std::to_string(kPort),
                     "-c", "listen_addresses=",
                     "-c", "unix_socket_permissions=0700",
                     "-c", "fsync=off",
                     "-c", "full_page_writes=off",
                     "-c", "synchronous_commit=off",
                     "-c", "shared_buffers=32MB",
                     "-c", "max_connections=40",  // pg_restore -j 32 opens 33
                     "-c", "max_wal_size=1GB",
                     "-c", "dynamic_shared_memory_type=mmap",
                     "-c", "logging_collector=off",
                     "-c", "log_min_messages=warning"};
  spawn.environment = child_environment(environment);
  spawn.stdout_mode = process::Stdio::null;
  spawn.stderr_tail_lines = 20;
  spawn.terminate_grace = grace;
  return process::ChildProcess::spawn(spawn);
}

// Probes until the postmaster accepts connections. Errors: permanent when it exits or does not
// get ready within `timeout` (its log tail); cancelled.
Result<void> wait_ready(process::ChildProcess& postmaster, const PgSettings& settings,
                        std::chrono::milliseconds timeout, const Cancellation& cancellation) {
  auto conninfo = settings.conninfo("erp-backup-drill");
  if (!conninfo) return std::unexpected(conninfo.error());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (cancellation.cancelled())
      return make_error(ErrorKind::cancelled, "the drill's PostgreSQL: start cancelled");
    if (auto status = postmaster.try_wait()) {
      auto failed = postmaster.check(*status);
      return make_error(
          ErrorKind::permanent,
          "the drill's PostgreSQL stopped while starting: " +
              (failed ? std::string("postgres exited with status 0") : failed.error().message));
    }
    const PGPing ping = PQpingParams(conninfo->keywords.data(), conninfo->values.data(), 0);
    if (ping == PQPING_OK) return {};
    if (ping == PQPING_NO_ATTEMPT) {
      return make_error(
          ErrorKind::permanent,
          "the drill's PostgreSQL: libpq made no connection attempt to " + settings.target());
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error(ErrorKind::permanent,
                        "the drill's PostgreSQL did not accept connections within " +
                            std::to_string(timeout.count() / 1000) +
                            " s: " + postmaster.stderr_tail_text());
    }
    pollfd fd{cancellation.wait_fd(), POLLIN, 0};
    ::poll(&fd, 1, kReadyPollMs);
  }
}

}  // namespace

Result<std::unique_ptr<EmbeddedCluster>> EmbeddedCluster::start(
    const EmbeddedClusterOptions& options, Logger& log, const Cancellation& cancellation) {
  if (::geteuid() == 0) {
    return make_error(ErrorKind::config,
                      "drill runs its own PostgreSQL, which refuses to run as root (uid 0): run "
                      "as a non-root user (the image's default user 10001, or "
                      "securityContext.runAsUser), or DRILL_TARGET=restore");
  }
  auto programs = find_server_programs(options.bin_dir, options.base_environment);
  if (!programs) return std::unexpected(programs.error());
  if (auto usable = check_work_dir(options.work_dir); !usable)
    return std::unexpected(usable.error());
  auto user = os_user_name();
  if (!user) return std::unexpected(user.error());
  if (cancellation.cancelled())
    return make_error(ErrorKind::cancelled, "the drill's PostgreSQL: not started, cancelled");

  sweep_drill_leftovers(options.work_dir, log);

  std::string pattern =
      (options.work_dir / (std::string(kClusterDirPrefix) + std::to_string(::getpid()) + "-XXXXXX"))
          .string();
  if (::mkdtemp(pattern.data()) == nullptr) {  // mode 0700
    return make_error(ErrorKind::config,
                      "DRILL_WORK_DIR: cannot create " + pattern + ": " + std::strerror(errno));
  }
  auto lock = DrillDirLock::create(pattern);
  if (!lock) {
    std::error_code ignored;
    fs::remove_all(pattern, ignored);
    return std::unexpected(lock.error().with_context("the drill's PostgreSQL"));
  }
  auto state = std::make_unique<State>();
  state->log = &log;
  state->directory = pattern;
  state->lock = std::move(*lock);
  state->user = *user;
  state->database = options.database;
  state->stop_grace = options.stop_grace;
  // From here on the destructor stops what runs and removes the directory, on every error.
  std::unique_ptr<EmbeddedCluster> cluster(new EmbeddedCluster(std::move(state)));
  State& s = *cluster->state_;

  if (auto made =
          run_initdb(*programs, s.data_dir(), s.user, options.base_environment, cancellation);
      !made) {
    return std::unexpected(
        made.error().with_context("the drill's PostgreSQL: initdb in " + s.data_dir().string()));
  }
  auto postmaster =
      spawn_postmaster(*programs, s.directory, options.base_environment, options.stop_grace);
  if (!postmaster) return std::unexpected(postmaster.error());
  s.postmaster.emplace(std::move(*postmaster));
  const PgSettings admin = s.settings_for("postgres");
  if (auto ready = wait_ready(*s.postmaster, admin, options.start_timeout, cancellation); !ready)
    return std::unexpected(ready.error());

  auto session = PgSession::connect(admin, "", "erp-backup-drill");
  if (!session) return std::unexpected(session.error().with_context("the drill's PostgreSQL"));
  auto version = session->query("SHOW server_version");
  if (!version) return std::unexpected(version.error().with_context("the drill's PostgreSQL"));
  if (!version->empty() && !version->front().empty() && version->front().front())
    s.version = *version->front().front();
  s.major = session->server_version() / 10000;
  if (auto created = session->execute("CREATE DATABASE " + session->quote_identifier(s.database));
      !created) {
    return std::unexpected(created.error().with_context("the drill's PostgreSQL"));
  }
  return cluster;
}

EmbeddedCluster::~EmbeddedCluster() {
  if (!state_) return;
  if (auto stopped = stop(); !stopped) {
    state_->log->warn("drill: stopping its PostgreSQL", {{"error", stopped.error().message}});
  }
}

PgSettings EmbeddedCluster::settings() const {
  return state_->settings_for(state_->database);
}
int EmbeddedCluster::server_major() const {
  return state_->major;
}
std::string EmbeddedCluster::server_version() const {
  return state_->version;
}
const fs::path& EmbeddedCluster::directory() const {
  return state_->directory;
}

Result<void> EmbeddedCluster::stop() {
  State& s = *state_;
  if (s.stopped) return *s.stopped;
  Result<void> result;
  if (s.postmaster) {
    // SIGINT: fast shutdown (sessions ended, a shutdown checkpoint); terminate() then sends
    // SIGTERM (ignored during a fast shutdown) and SIGKILL to the group after the grace.
    s.postmaster->kill(SIGINT);
    const process::ExitStatus status = s.postmaster->terminate(s.stop_grace);
    if (!status.success()) {
      result = std::unexpected(process::exit_error(
          "the drill's postgres", status, s.postmaster->stderr_tail_text(), " at fast shutdown"));
    }
  }
  std::error_code error;
  fs::remove_all(s.directory, error);
  if (error && result) {
    result = make_error(ErrorKind::permanent, "the drill's PostgreSQL: removing " +
                                                  s.directory.string() + ": " + error.message());
  }
  s.lock.release();  // only now: a sweep taking it would remove the directory
  s.stopped = result;
  return result;
}

}  // namespace erp::pg
