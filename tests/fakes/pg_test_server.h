// A throwaway PostgreSQL for tests: initdb into a temporary directory, started on a free
// loopback port, stopped and deleted by the destructor. PostgreSQL refuses to run as root,
// so when the tests run as root the server runs as the `postgres` user (runuser); otherwise
// as the current user.
//
// The server listens on 127.0.0.1 (password auth, scram-sha-256) and on a Unix socket inside
// its directory (trust, for setting up fixtures as any role). kRole owns kDatabase and logs in
// with kPassword, a string distinctive enough to grep messages for.
//
// Failures to start throw std::runtime_error carrying the server log's tail: test support,
// not library code.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "fakes/temp_dir.h"
#include "pg/pg_settings.h"

namespace erp::testing {

// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
int free_loopback_port();

class PgTestServer {
 public:
  static constexpr std::string_view kRole = "erp_backup_test";
  static constexpr std::string_view kPassword = "Zq8-erp-T3st-Pw-7731";
  static constexpr std::string_view kDatabase = "erp_test";

  // initdb + start + CREATE ROLE/DATABASE; ~1-2 s. Throws on failure.
  PgTestServer();
  // pg_ctl stop -m immediate, then the directory goes.
  ~PgTestServer();
  PgTestServer(const PgTestServer&) = delete;
  PgTestServer& operator=(const PgTestServer&) = delete;

  // One server for the whole test binary, started on first use, stopped at exit.
  static PgTestServer& shared();

  int port() const { return port_; }
  // The server binaries' directory, e.g. /usr/lib/postgresql/15/bin (pg_dump, psql live there).
  const std::string& bin_dir() const { return bin_dir_; }
  // kRole at 127.0.0.1:port(), database kDatabase, password kPassword, sslmode disable.
  pg::PgSettings settings() const;
  // Runs `sql` (may hold several statements) in `database` as `user` over the Unix socket.
  // Throws with the server's message on failure.
  void execute(std::string_view sql, std::string_view database = "postgres",
               std::string_view user = "postgres") const;

 private:
  void run_as_server_user(const std::vector<std::string>& command) const;
  std::string log_tail() const;

  TempDir dir_;
  std::string bin_dir_;
  std::string data_dir_;
  std::string socket_dir_;
  std::string log_file_;
  std::string os_user_;  // "postgres" when running as root, else empty (the current user)
  int port_ = 0;
  bool started_ = false;
};

}  // namespace erp::testing
