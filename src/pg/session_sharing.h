// Whether a connection's server session is its own for the whole connection, which pg_dump
// needs: it sets session settings (search_path, timeouts, extra_float_digits) and then runs its
// dump in one transaction that must see them. A pooler in transaction or statement pooling mode
// (pgbouncer pool_mode=transaction) hands each transaction to whichever server session is free,
// so those settings can land on one server session and the dump on another, or leak into
// another client's; nothing fails, the dump is just not what pg_dump meant to write.
//
// The probe proves sharing rather than guessing it: the open connection asks for its server
// process id (pg_backend_pid()), a second connection made with the same settings asks for its
// own, then the first asks again. A server session that is the connection's own cannot serve
// another client while that connection is open, and never changes under it. So
//   - the second connection answering the first's pid, or the first's pid changing → shared;
//   - otherwise → own (PostgreSQL itself, or session pooling).
// Transaction pooling gives the just-freed server session to the next client in pgbouncer's
// default LIFO order, so the probe sees it; with server_round_robin = 1 and several idle server
// sessions it may not (then it says own, and the README's warning is what is left).
#pragma once

#include <chrono>
#include <string>

#include "core/error.h"
#include "pg/pg_session.h"
#include "pg/pg_settings.h"

namespace erp::pg {

enum class SessionSharing {
  own,      // the probe saw nothing shared
  shared,   // proven: another connection was served by this connection's server session
  unknown,  // the second connection failed or got no answer within the wait (e.g. a full pool)
};

struct SessionSharingProbe {
  SessionSharing sharing = SessionSharing::unknown;
  // For logs and errors: the pids seen ("first 4711, second 4711, first again 4711"), or why
  // the probe could not tell.
  std::string detail;
};

// Probes `session` (open, idle, made from `settings`) with a second connection made from
// `settings`. The second connection's query waits at most `wait` for an answer (a session
// pooler with no free server session queues it); past that the probe gives up (unknown) and
// closes it. Errors: a failing query on `session` (permanent, as PgSession::query).
Result<SessionSharingProbe> probe_session_sharing(PgSession& session, const PgSettings& settings,
                                                  std::chrono::milliseconds wait);

// "own", "shared", "unknown".
std::string_view to_string(SessionSharing sharing);

}  // namespace erp::pg
