// `restore db`, phase "guard target" (app/restore/restore_db.h): nobody but the restore writes to
// the target from the check for other sessions until the restored database has been judged.
//
// A live application corrupts a restore (issue 17: a session that connected after the check
// inserted a row before pg_restore created a primary key, which then failed), and pg_restore
// needs a connection of its own, so the target cannot simply be closed. The guard, on one
// session of its own that it holds throughout:
//
//   close      other client sessions → refused ("nothing was dropped"), unless
//              RESTORE_REQUIRE_EXCLUSIVE=false; then, where the role may (its database's owner,
//              a member of the owner's role, or a superuser): the undo statement is logged,
//              CONNECTION LIMIT 0 (PostgreSQL then refuses every new session but a
//              superuser's), and the other sessions are checked again;
//   door       just before pg_restore starts: CONNECTION LIMIT = the backends connected now + 1,
//              so that pg_restore, and nobody after it, can connect; the watch thread closes it
//              again (0) as soon as pg_restore's session (its application_name) shows in
//              pg_stat_activity;
//              pg_restore -j N (`restore db --jobs N`) connects once, disconnects, forks N
//              workers that connect, and reconnects once they ended: its sessions come and go
//              during the whole run, and a backend that just disconnected may still be counted
//              while the next connects. So the door is the backends connected now + N + 1 and
//              stays open until pg_restore ended; every session with its application_name is
//              pg_restore's, any other is an intruder (seen at the next poll, kDoorPoll apart for
//              as long as the door is open: a session that comes and goes within one such gap
//              through a free slot is not seen — the price of -j);
//   watch      during the restore, pg_stat_activity is read every kWatchPoll (kDoorPoll while the
//              door is open): any other client session, of any role, is an intruder and fails
//              the restore; then once more after pg_restore has ended;
//   reopen     the previous CONNECTION LIMIT, on every path (failure, SIGINT/SIGTERM, the
//              destructor); a SIGKILL leaves the limit at 0, and the log holds the undo
//              statement, written before the limit changed.
//
// Where the role may not ALTER DATABASE the guard is weaker (GuardMode::watch, logged as a
// warning): new sessions cannot be kept out, only seen and failed on, and one that comes and goes
// between two polls is not seen. With RESTORE_REQUIRE_EXCLUSIVE=false there is no guard.
//
// Not thread-safe, except that the watch thread owns the session between start_watch() and
// stop_watch(): call nothing else then.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/logger.h"
#include "pg/pg_session.h"
#include "pg/restore_target.h"

namespace erp::app {

enum class GuardMode {
  unguarded,  // RESTORE_REQUIRE_EXCLUSIVE=false: other sessions allowed, none kept out
  limit,      // CONNECTION LIMIT closed but for pg_restore, and watched
  watch,      // the role may not ALTER DATABASE: watched only
};
std::string_view to_string(GuardMode mode);

// Which guard a restore gets. Pure.
GuardMode choose_guard_mode(bool require_exclusive, const pg::ConnectionLimitState& state);

// What the watch saw.
struct WatchReport {
  std::vector<pg::OtherSession> intruders;  // every other client session seen, once each
  bool pg_restore_seen = false;             // pg_restore's own session showed up
  std::string error;                        // the watch's query failed: it saw nothing after
};

class TargetGuard {
 public:
  static constexpr std::chrono::milliseconds kWatchPoll{250};
  static constexpr std::chrono::milliseconds kDoorPoll{20};

  // Takes `session` (connected to the target); `pg_restore_application` is the
  // application_name pg_restore's sessions will carry; `pg_restore_jobs` its -j (1: one
  // session, the door closed behind it). Changes nothing yet.
  TargetGuard(Logger& log, pg::PgSession session, bool require_exclusive,
              std::string pg_restore_application, int pg_restore_jobs = 1);
  ~TargetGuard();  // stop_watch() and reopen() when still due (their outcome logged)
  TargetGuard(const TargetGuard&) = delete;
  TargetGuard& operator=(const TargetGuard&) = delete;

  // The guard's session, for the queries of the phases around it.
  pg::PgSession& session() { return session_; }
  GuardMode mode() const { return mode_; }

  // Step "close" above. Errors: permanent when other sessions are connected (each is logged
  // first; the message says nothing was dropped, with a hint); the queries'.
  Result<void> close();

  // Step "door", then the watch thread. Errors: the statement's (nothing started then).
  Result<void> start_watch();
  // Stops the watch thread, reads the sessions once more, and closes the door if pg_restore
  // never showed. Idempotent: a second call returns the same report.
  WatchReport stop_watch();

  // The previous CONNECTION LIMIT back (when the guard changed it). Errors: the statement's,
  // with the undo statement in the message; the destructor logs it too.
  Result<void> reopen();

 private:
  Result<std::vector<pg::OtherSession>> others();
  void poll();
  void watch(std::stop_token stop);

  Logger& log_;
  pg::PgSession session_;
  bool require_exclusive_;
  std::string pg_restore_application_;
  int pg_restore_jobs_ = 1;
  GuardMode mode_ = GuardMode::unguarded;
  pg::ConnectionLimitState state_;  // as close() found it
  bool limit_changed_ = false;      // reopen() is due
  bool door_open_ = false;
  std::jthread watcher_;
  bool watched_ = false;  // start_watch() ran
  bool stopped_ = false;  // stop_watch() ran
  std::mutex mutex_;      // report_ and door_open_ while the watch thread runs
  std::map<std::string, pg::OtherSession> intruders_;  // by pid
  std::set<std::string> pg_restore_pids_;              // backends seen with its name
  WatchReport report_;
};

}  // namespace erp::app
