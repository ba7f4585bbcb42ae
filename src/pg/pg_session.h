// One libpq connection for the few queries this program runs itself (inspecting the source,
// checking and counting a restore target). Blocking; not thread-safe; move-only.
//
// Errors are permanent, with libpq's words on one line, never the password, and a hint naming
// the variable to check: `variable_prefix` + PGPASSWORD, PGUSER, PGDATABASE, PGHOST/PGPORT
// (the source's "PG...", the restore target's "RESTORE_PG...").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.h"
#include "core/error.h"
#include "pg/pg_settings.h"

struct pg_conn;

namespace erp::pg {

class PgSession {
 public:
  using Rows = std::vector<std::vector<std::optional<std::string>>>;  // NULL → nullopt

  // `settings` is borrowed for the session's life (messages name its target).
  static Result<PgSession> connect(const PgSettings& settings,
                                   std::string_view variable_prefix = "",
                                   const char* application_name = "erp-backup");

  int server_version() const;  // PQserverVersion: 150004 for 15.4
  // Runs `sql` (one statement, or several without results) and returns its rows.
  Result<Rows> query(const std::string& sql);
  // The same, but a long query can be stopped: while the server works the session waits on its
  // socket and on `cancellation`; once cancelled it asks the server to cancel the query
  // (PQcancel, from this thread: a stop callback must not block on the network), reads what is
  // left of its answer and returns cancelled. The session stays usable after a cancel.
  Result<Rows> query(const std::string& sql, const Cancellation& cancellation);
  Result<void> execute(const std::string& sql);
  // "name" quoted as an SQL identifier for this connection.
  std::string quote_identifier(std::string_view name) const;
  // 'text' quoted as an SQL string literal for this connection.
  std::string quote_literal(std::string_view text) const;

 private:
  struct ConnectionDeleter {
    void operator()(pg_conn* connection) const;
  };
  explicit PgSession(const PgSettings& settings);
  // The last failure's words, as query() reports them.
  Error query_error() const;

  const PgSettings* settings_;
  std::unique_ptr<pg_conn, ConnectionDeleter> connection_;
};

// A number from a query's text cell (0 for NULL or garbage).
std::int64_t to_int64(const std::optional<std::string>& text);

}  // namespace erp::pg
