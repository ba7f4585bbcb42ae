#include "fakes/pg_test_server.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "process/child_process.h"

namespace erp::testing {

namespace {

namespace fs = std::filesystem;

// The newest installed server (Debian layout), e.g. /usr/lib/postgresql/15/bin.
std::string find_bin_dir() {
  std::string best;
  int best_version = -1;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ignored)) {
    const std::string name = entry.path().filename().string();
    const int version = std::atoi(name.c_str());
    if (version > best_version && fs::exists(entry.path() / "bin" / "initdb")) {
      best_version = version;
      best = (entry.path() / "bin").string();
    }
  }
  if (best.empty())
    throw std::runtime_error("no PostgreSQL server under /usr/lib/postgresql/*/bin");
  return best;
}

std::string quote_literal(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace

int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

void PgTestServer::run_as_server_user(const std::vector<std::string>& command) const {
  process::SpawnOptions options;
  if (os_user_.empty()) {
    options.program = command.front();
    options.arguments.assign(command.begin() + 1, command.end());
  } else {
    options.program = "/usr/sbin/runuser";
    options.arguments = {"-u", os_user_, "--"};
    options.arguments.insert(options.arguments.end(), command.begin(), command.end());
  }
  options.environment.set("PATH", bin_dir_ + ":/usr/bin:/bin");
  options.environment.set("LANG", "C");
  options.environment.set("LC_ALL", "C");
  auto output = process::run_to_completion(options);
  if (!output) {
    throw std::runtime_error(command.front() + " failed: " + output.error().message + "\n" +
                             log_tail());
  }
}

std::string PgTestServer::log_tail() const {
  std::ifstream in(log_file_);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string tail;
  for (std::size_t i = lines.size() > 20 ? lines.size() - 20 : 0; i < lines.size(); ++i) {
    tail += lines[i] + "\n";
  }
  return tail.empty() ? std::string("(no server log)") : "server log:\n" + tail;
}

PgTestServer::PgTestServer() : dir_("erp-pg-"), bin_dir_(find_bin_dir()) {
  data_dir_ = (dir_.path() / "data").string();
  socket_dir_ = dir_.path().string();
  log_file_ = (dir_.path() / "server.log").string();
  if (geteuid() == 0) {
    os_user_ = "postgres";
    const passwd* user = getpwnam("postgres");
    if (user == nullptr) throw std::runtime_error("running as root, but there is no postgres user");
    if (chown(socket_dir_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      throw std::runtime_error("cannot chown " + socket_dir_);
    }
  }

  run_as_server_user({bin_dir_ + "/initdb", "-D", data_dir_, "-U", "postgres", "--auth-local=trust",
                      "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync",
                      "--no-instructions"});
  // A test server trades durability for speed; it lives for one test run.
  {
    std::ofstream conf(data_dir_ + "/postgresql.conf", std::ios::app);
    conf << "\nlisten_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = " << quote_literal(socket_dir_) << "\n"
         << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
         << "max_connections = 20\nshared_buffers = 16MB\n";
  }
  // The port is free when chosen but may be taken before the server binds it: try a few.
  for (int attempt = 1;; ++attempt) {
    port_ = free_loopback_port();
    try {
      run_as_server_user({bin_dir_ + "/pg_ctl", "-D", data_dir_, "-l", log_file_, "-w", "-t", "60",
                          "-o", "-p " + std::to_string(port_), "start"});
      break;
    } catch (const std::runtime_error&) {
      if (attempt == 3) throw;
    }
  }
  started_ = true;
  execute("CREATE ROLE " + std::string(kRole) + " LOGIN PASSWORD " + quote_literal(kPassword));
  execute("CREATE DATABASE " + std::string(kDatabase) + " OWNER " + std::string(kRole));
}

PgTestServer::~PgTestServer() {
  if (!started_) return;
  try {
    run_as_server_user({bin_dir_ + "/pg_ctl", "-D", data_dir_, "-m", "immediate", "-w", "stop"});
  } catch (...) {
    // The directory goes anyway; a server that outlives it dies on its next checkpoint.
  }
}

PgTestServer& PgTestServer::shared() {
  static PgTestServer server;
  return server;
}

pg::PgSettings PgTestServer::settings() const {
  pg::PgSettings settings;
  settings.params = {{"host", "127.0.0.1"},
                     {"port", std::to_string(port_)},
                     {"dbname", std::string(kDatabase)},
                     {"user", std::string(kRole)},
                     {"sslmode", "disable"}};
  settings.password = Secret(std::string(kPassword));
  return settings;
}

void PgTestServer::execute(std::string_view sql, std::string_view database,
                           std::string_view user) const {
  const std::string port = std::to_string(port_);
  const std::string db(database), role(user);
  const char* keywords[] = {"host", "port", "dbname", "user", nullptr};
  const char* values[] = {socket_dir_.c_str(), port.c_str(), db.c_str(), role.c_str(), nullptr};
  std::unique_ptr<PGconn, decltype(&PQfinish)> connection(PQconnectdbParams(keywords, values, 0),
                                                          &PQfinish);
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    throw std::runtime_error("test server: cannot connect: " +
                             std::string(PQerrorMessage(connection.get())));
  }
  PQsetNoticeProcessor(
      connection.get(), [](void*, const char*) {}, nullptr);
  std::unique_ptr<PGresult, decltype(&PQclear)> result(
      PQexec(connection.get(), std::string(sql).c_str()), &PQclear);
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error("test server: " + std::string(sql) + ": " +
                             PQerrorMessage(connection.get()));
  }
}

}  // namespace erp::testing
