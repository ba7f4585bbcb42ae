#include "app/restore/restore_db_guard.h"

#include <algorithm>
#include <condition_variable>

namespace erp::app {
namespace {

void log_session(Logger& log, std::string_view what, const pg::OtherSession& other) {
  log.warn(what, {{"pid", other.pid},
                  {"user", other.user},
                  {"application_name", other.application_name},
                  {"client_address", other.client_address}});
}

}  // namespace

std::string_view to_string(GuardMode mode) {
  switch (mode) {
    case GuardMode::unguarded:
      return "none";
    case GuardMode::limit:
      return "connection-limit";
    case GuardMode::watch:
      return "watch";
  }
  return "?";
}

GuardMode choose_guard_mode(bool require_exclusive, const pg::ConnectionLimitState& state) {
  if (!require_exclusive) return GuardMode::unguarded;
  return state.may_alter ? GuardMode::limit : GuardMode::watch;
}

TargetGuard::TargetGuard(Logger& log, pg::PgSession session, bool require_exclusive,
                         std::string pg_restore_application, int pg_restore_jobs)
    : log_(log),
      session_(std::move(session)),
      require_exclusive_(require_exclusive),
      pg_restore_application_(std::move(pg_restore_application)),
      pg_restore_jobs_(std::max(pg_restore_jobs, 1)) {}

TargetGuard::~TargetGuard() {
  stop_watch();
  if (auto reopened = reopen(); !reopened) {
    log_.error("the target still refuses new sessions", {{"error", reopened.error().message}});
  }
}

Result<std::vector<pg::OtherSession>> TargetGuard::others() {
  auto sessions = pg::other_sessions(session_);
  if (!sessions) return sessions;
  // A backend once seen as pg_restore's stays pg_restore's: behind a pooler its server session
  // shows without the name until the pooler passes it on, and again after a reset.
  for (const pg::OtherSession& other : *sessions) {
    if (other.application_name != pg_restore_application_) continue;
    report_.pg_restore_seen = true;
    pg_restore_pids_.insert(other.pid);
    intruders_.erase(other.pid);
  }
  std::erase_if(*sessions, [&](const pg::OtherSession& other) {
    return pg_restore_pids_.contains(other.pid);
  });
  return sessions;
}

Result<void> TargetGuard::close() {
  auto found = others();
  if (!found) return std::unexpected(found.error());
  for (const pg::OtherSession& other : *found) {
    log_session(log_, "another session is connected to the target", other);
  }
  auto state = pg::connection_limit_state(session_);
  if (!state) return std::unexpected(state.error());
  state_ = std::move(*state);
  if (!found->empty() && require_exclusive_) {
    return make_error(ErrorKind::permanent,
                      std::to_string(found->size()) + " other session(s) are connected to " +
                          state_.database +
                          "; nothing was dropped (hint: stop the application, e.g. scale it to "
                          "zero and pause the GitOps controller's self-heal; or set "
                          "RESTORE_REQUIRE_EXCLUSIVE=false)");
  }
  mode_ = choose_guard_mode(require_exclusive_, state_);
  switch (mode_) {
    case GuardMode::unguarded:
      log_.warn(
          "RESTORE_REQUIRE_EXCLUSIVE=false: sessions may connect to the target and write "
          "during the restore; nothing keeps them out or watches for them",
          {{"database", state_.database}, {"other_sessions", std::to_string(found->size())}});
      return {};
    case GuardMode::watch:
      log_.warn(
          "the target cannot be closed to new sessions: this role may not ALTER DATABASE (only "
          "its owner, a member of the owner's role or a superuser may); sessions that connect "
          "during the restore are watched for and fail it, but one that comes and goes between "
          "two looks is not seen (hint: restore as the database's owner)",
          {{"database", state_.database}, {"guard", std::string(to_string(mode_))}});
      return {};
    case GuardMode::limit:
      break;
  }
  if (state_.limit == 0) {
    log_.warn(
        "the target's CONNECTION LIMIT is 0 already (a restore killed before it could reopen "
        "it?): it is set back to 0 afterwards",
        {{"database", state_.database},
         {"undo", connection_limit_sql(session_, state_.database, -1)}});
  }
  // Written before the change: a SIGKILL leaves no other trace of how to undo it.
  log_.warn(
      "closing the target to new sessions for the restore; should this run be killed before "
      "it reopens them, run the undo statement as the database's owner, from another database",
      {{"database", state_.database},
       {"undo", connection_limit_sql(session_, state_.database, state_.limit)}});
  if (auto closed = pg::set_connection_limit(session_, state_.database, 0); !closed) {
    return std::unexpected(closed.error());
  }
  limit_changed_ = true;
  // A session that connected between the first look and the limit is in.
  auto again = others();
  if (!again) return std::unexpected(again.error());
  for (const pg::OtherSession& other : *again) {
    log_session(log_, "another session connected to the target", other);
  }
  if (!again->empty()) {
    return make_error(ErrorKind::permanent,
                      std::to_string(again->size()) + " other session(s) connected to " +
                          state_.database +
                          " while it was being closed; nothing was dropped (hint: stop the "
                          "application, e.g. scale it to zero and pause the GitOps "
                          "controller's self-heal)");
  }
  log_.info("the target is closed to new sessions",
            {{"database", state_.database}, {"connection_limit", "0"}});
  return {};
}

Result<void> TargetGuard::start_watch() {
  if (mode_ == GuardMode::unguarded || watched_) return {};
  if (mode_ == GuardMode::limit) {
    auto now = pg::connection_limit_state(session_);
    if (!now) return std::unexpected(now.error());
    // Every backend PostgreSQL counts now (this session, an autovacuum worker) plus
    // pg_restore's: one, or with -j N its N workers and its leader (header).
    const std::int64_t door = now->counted + (pg_restore_jobs_ == 1 ? 1 : pg_restore_jobs_ + 1);
    if (auto opened = pg::set_connection_limit(session_, state_.database, door); !opened) {
      return std::unexpected(opened.error());
    }
    door_open_ = true;
    log_.info(pg_restore_jobs_ == 1 ? "the target admits one more session, for pg_restore"
                                    : "the target admits pg_restore -j's sessions until it ends",
              {{"database", state_.database},
               {"connection_limit", std::to_string(door)},
               {"jobs", std::to_string(pg_restore_jobs_)}});
  }
  watched_ = true;
  watcher_ = std::jthread([this](std::stop_token stop) { watch(stop); });
  return {};
}

void TargetGuard::poll() {
  std::lock_guard lock(mutex_);
  if (!report_.error.empty()) return;
  auto found = others();
  if (!found) {
    report_.error = found.error().message;
    return;
  }
  for (const pg::OtherSession& other : *found) intruders_.emplace(other.pid, other);
  // pg_restore -j reconnects during its run: its door stays open until it ended.
  if (door_open_ && report_.pg_restore_seen && pg_restore_jobs_ == 1) {
    if (auto closed = pg::set_connection_limit(session_, state_.database, 0); !closed) {
      report_.error = closed.error().message;
      return;
    }
    door_open_ = false;
    log_.info("pg_restore is connected; the target is closed to new sessions again",
              {{"database", state_.database}, {"connection_limit", "0"}});
  }
}

void TargetGuard::watch(std::stop_token stop) {
  std::mutex wait_mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    poll();
    bool open;
    {
      std::lock_guard lock(mutex_);
      // While the door is open (for pg_restore -j: until it ended) a session could come and go
      // between two slow polls: the quick one the whole time.
      open = door_open_ && report_.error.empty();
    }
    std::unique_lock lock(wait_mutex);
    wake.wait_for(lock, stop, open ? kDoorPoll : kWatchPoll, [] { return false; });
  }
}

WatchReport TargetGuard::stop_watch() {
  if (!watched_ || stopped_) return report_;
  watcher_.request_stop();
  watcher_.join();
  stopped_ = true;
  poll();  // after pg_restore: whoever is connected now
  if (door_open_) {
    // pg_restore never showed (it failed before connecting, or came and went between polls),
    // or pg_restore -j's door, open until it ended.
    if (auto closed = pg::set_connection_limit(session_, state_.database, 0); !closed) {
      if (report_.error.empty()) report_.error = closed.error().message;
    } else {
      door_open_ = false;
    }
  }
  report_.intruders.clear();
  for (const auto& [pid, other] : intruders_) {
    log_session(log_, "another session was connected to the target during the restore", other);
    report_.intruders.push_back(other);
  }
  return report_;
}

Result<void> TargetGuard::reopen() {
  if (!limit_changed_) return {};
  const std::string undo = connection_limit_sql(session_, state_.database, state_.limit);
  // Whatever failed before may have left a transaction open and aborted, in which the
  // statement below would fail too; outside one, ROLLBACK only warns.
  (void)session_.execute("ROLLBACK");
  if (auto reopened = pg::set_connection_limit(session_, state_.database, state_.limit);
      !reopened) {
    return make_error(ErrorKind::permanent, reopened.error().message +
                                                " (hint: the target refuses new sessions until "
                                                "its owner runs, from another database: " +
                                                undo + ")");
  }
  limit_changed_ = false;
  log_.info("the target admits new sessions again",
            {{"database", state_.database}, {"connection_limit", std::to_string(state_.limit)}});
  return {};
}

}  // namespace erp::app
