#include "pg/session_sharing.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <string>

#include "core/enum_names.h"

namespace erp::pg {
namespace {

constexpr const char* kPidQuery = "SELECT pg_backend_pid()";

struct ConnectionDeleter {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};

Result<std::string> backend_pid(PgSession& session) {
  auto rows = session.query(kPidQuery);
  if (!rows) return std::unexpected(rows.error());
  if (rows->size() != 1 || rows->front().empty() || !rows->front()[0]) {
    return make_error(ErrorKind::permanent, "pg_backend_pid() returned no row");
  }
  return *rows->front()[0];
}

// The second connection's pid, or why there is none (`why`).
std::optional<std::string> second_pid(const PgSettings& settings, std::chrono::milliseconds wait,
                                      std::string& why) {
  auto conninfo = settings.conninfo("erp-backup");
  if (!conninfo) {
    why = conninfo.error().message;
    return std::nullopt;
  }
  std::unique_ptr<PGconn, ConnectionDeleter> connection(
      PQconnectdbParams(conninfo->keywords.data(), conninfo->values.data(), 0));
  if (!connection || PQstatus(connection.get()) != CONNECTION_OK) {
    why = "a second connection failed";  // its text is the first connection's business
    return std::nullopt;
  }
  PQsetNoticeProcessor(
      connection.get(), [](void*, const char*) {}, nullptr);
  if (PQsendQuery(connection.get(), kPidQuery) != 1) {
    why = "the second connection could not send its query";
    return std::nullopt;
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (PQisBusy(connection.get())) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      why = "the second connection got no answer within " + std::to_string(wait.count()) +
            " ms (a pool with no free server session?)";
      return std::nullopt;  // closing the connection withdraws the queued query
    }
    pollfd fd{PQsocket(connection.get()), POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) {
      why = "waiting for the second connection failed";
      return std::nullopt;
    }
    if (PQconsumeInput(connection.get()) != 1) {
      why = "the second connection broke";
      return std::nullopt;
    }
  }
  std::optional<std::string> pid;
  while (PGresult* raw = PQgetResult(connection.get())) {
    std::unique_ptr<PGresult, ResultDeleter> result(raw);
    if (PQresultStatus(raw) == PGRES_TUPLES_OK && PQntuples(raw) == 1) {
      pid = PQgetvalue(raw, 0, 0);
    }
  }
  if (!pid) why = "the second connection's query failed";
  return pid;
}

}  // namespace

constexpr EnumName<SessionSharing> kSharingNames[] = {{SessionSharing::own, "own"},
                                                      {SessionSharing::shared, "shared"},
                                                      {SessionSharing::unknown, "unknown"}};

std::string_view to_string(SessionSharing sharing) {
  return name_of(kSharingNames, sharing);
}

Result<SessionSharingProbe> probe_session_sharing(PgSession& session, const PgSettings& settings,
                                                  std::chrono::milliseconds wait) {
  SessionSharingProbe probe;
  auto first = backend_pid(session);
  if (!first) return std::unexpected(first.error());
  std::string why;
  const auto second = second_pid(settings, wait, why);
  auto again = backend_pid(session);
  if (!again) return std::unexpected(again.error());
  probe.detail =
      "first " + *first + ", second " + second.value_or("none") + ", first again " + *again;
  if ((second && *second == *first) || *again != *first) {
    probe.sharing = SessionSharing::shared;
  } else if (!second) {
    probe.sharing = SessionSharing::unknown;
    probe.detail += ": " + why;
  } else {
    probe.sharing = SessionSharing::own;
  }
  return probe;
}

}  // namespace erp::pg
