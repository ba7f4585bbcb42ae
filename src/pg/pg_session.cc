#include "pg/pg_session.h"

#include <libpq-fe.h>

#include <poll.h>

#include <cerrno>
#include <charconv>
#include <string_view>

#include "pg/connection_hints.h"

namespace erp::pg {
namespace {

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using QueryResult = std::unique_ptr<PGresult, ResultDeleter>;

void drop_notice(void*, const char*) {}

// libpq's messages end in "\n" and continue on "\n\t"-indented lines; ours are one line.
std::string one_line(std::string_view text) {
  std::string out;
  bool pending_space = false;
  for (const char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space && out.back() != ' ') out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string libpq_error(PGconn* connection, const PgSettings& settings) {
  return redact_password(one_line(PQerrorMessage(connection)), settings.password);
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

Error connect_error(PGconn* connection, const PgSettings& settings, const std::string& v) {
  const std::string detail = libpq_error(connection, settings);
  const std::string where = settings.target();
  // libpq has no SQLSTATE for a failed connection, so the server's words decide. They are
  // English unless the server's lc_messages says otherwise; then the generic hint applies.
  // TLS first: "certificate authentication failed" is not a password problem.
  if (auto hint = tls_hint(detail, v)) {
    const ErrorKind kind = tls_file_unusable(detail) ? ErrorKind::config : ErrorKind::permanent;
    return Error{kind, "cannot connect to PostgreSQL at " + where + " over TLS: " + detail +
                           " (hint: " + *hint + ")"};
  }
  if (password_rejected(detail)) {
    // Wrong, rotated and expired (VALID UNTIL) passwords look alike from here. The password
    // file is read once per run, so a rotated one is picked up by the next run.
    return Error{ErrorKind::permanent,
                 "authentication failed for user \"" + settings.user() + "\" at " + where +
                     ": the server rejected the password of role \"" + settings.user() +
                     "\" (wrong, rotated or expired; " + v +
                     "PGPASSWORD_FILE is read at the start of each run): " + detail +
                     " (hint: " + password_rejected_hint(v) + ")"};
  }
  if (contains(detail, "authentication failed") || PQconnectionNeedsPassword(connection)) {
    return Error{ErrorKind::permanent, "authentication failed for user \"" + settings.user() +
                                           "\" at " + where + ": " + detail + " (hint: check " + v +
                                           "PGPASSWORD/" + v + "PGPASSWORD_FILE)"};
  }
  if (contains(detail, "role \"") && contains(detail, "does not exist")) {
    return Error{ErrorKind::permanent, "cannot connect to PostgreSQL at " + where + " as user \"" +
                                           settings.user() + "\": " + detail + " (hint: check " +
                                           v + "PGUSER)"};
  }
  if (contains(detail, "database \"") && contains(detail, "does not exist")) {
    return Error{ErrorKind::permanent, "cannot connect to PostgreSQL at " + where +
                                           ", database \"" + settings.database() + "\": " + detail +
                                           " (hint: check " + v + "PGDATABASE)"};
  }
  return Error{ErrorKind::permanent, "cannot connect to PostgreSQL at " + where + ": " + detail +
                                         " (hint: check " + v + "PGHOST/" + v +
                                         "PGPORT and that the server accepts connections from "
                                         "here)"};
}

}  // namespace

void PgSession::ConnectionDeleter::operator()(pg_conn* connection) const {
  PQfinish(connection);
}

Result<PgSession> PgSession::connect(const PgSettings& settings, std::string_view variable_prefix,
                                     const char* application_name) {
  auto conninfo = settings.conninfo(application_name);
  if (!conninfo) return std::unexpected(conninfo.error());
  PgSession session(settings);
  session.connection_.reset(
      PQconnectdbParams(conninfo->keywords.data(), conninfo->values.data(), /*expand_dbname=*/0));
  if (!session.connection_) {
    return make_error(ErrorKind::permanent,
                      "cannot connect to PostgreSQL at " + settings.target() + ": out of memory");
  }
  PQsetNoticeProcessor(session.connection_.get(), drop_notice, nullptr);
  if (PQstatus(session.connection_.get()) != CONNECTION_OK) {
    return std::unexpected(
        connect_error(session.connection_.get(), settings, std::string(variable_prefix)));
  }
  return session;
}

PgSession::PgSession(const PgSettings& settings) : settings_(&settings) {}

int PgSession::server_version() const {
  return PQserverVersion(connection_.get());
}

namespace {

PgSession::Rows rows_of(const PGresult* result) {
  PgSession::Rows rows;
  const int count = PQntuples(result);
  const int columns = PQnfields(result);
  rows.reserve(static_cast<std::size_t>(count));
  for (int r = 0; r < count; ++r) {
    std::vector<std::optional<std::string>> row;
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(result, r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(PQgetvalue(result, r, c));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

bool succeeded(const PGresult* result) {
  const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  return status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
}

// Asks the server to cancel what `connection` runs. Blocking (it connects to the server), so
// called on the querying thread, never from a stop callback. Best effort: a cancel that does not
// reach the server leaves the query to finish by itself.
void request_cancel(PGconn* connection) {
  PGcancel* cancel = PQgetCancel(connection);
  if (cancel == nullptr) return;
  char error[256];
  PQcancel(cancel, error, sizeof error);
  PQfreeCancel(cancel);
}

}  // namespace

Result<PgSession::Rows> PgSession::query(const std::string& sql) {
  QueryResult result(PQexec(connection_.get(), sql.c_str()));
  if (!succeeded(result.get())) return std::unexpected(query_error());
  return rows_of(result.get());
}

Result<PgSession::Rows> PgSession::query(const std::string& sql, const Cancellation& cancellation) {
  PGconn* connection = connection_.get();
  const auto stopped = [this] {
    return make_error(ErrorKind::cancelled, "querying database \"" + settings_->database() +
                                                "\" at " + settings_->target() + ": stopped");
  };
  if (cancellation.cancelled()) return stopped();
  if (PQsendQuery(connection, sql.c_str()) == 0) return std::unexpected(query_error());
  bool cancel_sent = false;
  while (PQisBusy(connection) != 0) {
    pollfd fds[2] = {{PQsocket(connection), POLLIN, 0}, {cancellation.wait_fd(), POLLIN, 0}};
    if (::poll(fds, cancel_sent ? 1 : 2, -1) < 0) {
      if (errno == EINTR) continue;
      request_cancel(connection);
      cancel_sent = true;  // the answer still has to be read for the session to stay usable
      continue;
    }
    if (!cancel_sent && (fds[1].revents & POLLIN) != 0) {
      request_cancel(connection);
      cancel_sent = true;
    }
    if (fds[0].revents != 0 && PQconsumeInput(connection) == 0) break;  // the connection broke
  }
  // Every result of the query, so that the connection is idle again; the first failure wins.
  QueryResult kept;
  bool failed = false;
  while (PGresult* next = PQgetResult(connection)) {
    if (failed) {
      PQclear(next);
      continue;
    }
    kept.reset(next);
    failed = !succeeded(next);
  }
  if (cancel_sent && (failed || cancellation.cancelled())) return stopped();
  if (failed || !kept) return std::unexpected(query_error());
  return rows_of(kept.get());
}

Error PgSession::query_error() const {
  return Error{ErrorKind::permanent, "querying database \"" + settings_->database() + "\" at " +
                                         settings_->target() + ": " +
                                         libpq_error(connection_.get(), *settings_)};
}

Result<void> PgSession::execute(const std::string& sql) {
  auto done = query(sql);
  if (!done) return std::unexpected(done.error());
  return {};
}

namespace {

// A string libpq allocated, copied out and freed; "" for nullptr (out of memory, or text libpq
// refuses to quote, such as invalid multibyte characters).
std::string take_libpq_string(char* text) {
  if (text == nullptr) return {};
  std::string result(text);
  PQfreemem(text);
  return result;
}

}  // namespace

std::string PgSession::quote_identifier(std::string_view name) const {
  return take_libpq_string(PQescapeIdentifier(connection_.get(), name.data(), name.size()));
}

std::string PgSession::quote_literal(std::string_view text) const {
  return take_libpq_string(PQescapeLiteral(connection_.get(), text.data(), text.size()));
}

std::int64_t to_int64(const std::optional<std::string>& text) {
  std::int64_t value = 0;
  if (!text) return 0;
  std::from_chars(text->data(), text->data() + text->size(), value);
  return value;
}

}  // namespace erp::pg
