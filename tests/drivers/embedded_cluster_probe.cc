// A test driver for pg/embedded_cluster.h (tests/integration/test_embedded_cluster.py): starts
// the drill's PostgreSQL as `drill` would (DRILL_WORK_DIR, DRILL_PG_BINDIR from the
// environment, PATH passed on), runs `select 1` in its database, prints one line
//   ready directory=<dir> version=<server_version> select1=<value>
// then waits for a line on stdin (→ stop, print "stopped", exit 0) or SIGINT/SIGTERM (→ the
// cluster stopped by its destructor, exit 128+signal). Exits 2 on a config error (root, no
// programs, no work dir) and 1 on any other, the message on stderr.
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "config/drill_config.h"
#include "config/environment.h"
#include "core/cancellation.h"
#include "core/logger.h"
#include "pg/embedded_cluster.h"
#include "pg/pg_session.h"

namespace {

int fail(const erp::Error& error, const erp::Cancellation& cancellation) {
  std::cerr << "embedded_cluster_probe: " << error.message << std::endl;
  if (cancellation.cancelled()) return 128 + cancellation.signal_number();
  return error.kind == erp::ErrorKind::config ? 2 : 1;
}

// Until a line (or end of input) on stdin, or cancellation. True: stdin.
bool wait_for_stdin_or_signal(const erp::Cancellation& cancellation) {
  pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {cancellation.wait_fd(), POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) continue;  // EINTR
    if (fds[1].revents != 0) return false;
    if (fds[0].revents != 0) return true;
  }
}

int run(erp::Cancellation& cancellation) {
  erp::Logger log(erp::LogFormat::text, erp::LogLevel::info);
  erp::config::ProcessEnvironment env;
  erp::config::Problems problems;
  const erp::config::DrillConfig config = erp::config::load_drill_config(env, problems);
  if (!problems.empty()) return fail(problems.error(), cancellation);
  erp::pg::EmbeddedClusterOptions options{.work_dir = config.work_dir, .bin_dir = config.bin_dir};
  if (const char* path = std::getenv("PATH")) options.base_environment["PATH"] = path;
  auto cluster = erp::pg::EmbeddedCluster::start(options, log, cancellation);
  if (!cluster) return fail(cluster.error(), cancellation);
  const erp::pg::PgSettings settings = (*cluster)->settings();
  std::string value;
  {
    auto session = erp::pg::PgSession::connect(settings);
    if (!session) return fail(session.error(), cancellation);
    auto rows = session->query("select 1");
    if (!rows) return fail(rows.error(), cancellation);
    value = rows->at(0).at(0).value_or("NULL");
  }
  std::cout << "ready directory=" << (*cluster)->directory().string()
            << " version=" << (*cluster)->server_major() << " select1=" << value << std::endl;
  if (!wait_for_stdin_or_signal(cancellation)) {
    cluster->reset();  // the destructor stops the cluster, as on a drill's SIGTERM
    return 128 + cancellation.signal_number();
  }
  if (auto stopped = (*cluster)->stop(); !stopped) return fail(stopped.error(), cancellation);
  std::cout << "stopped" << std::endl;
  return 0;
}

}  // namespace

int main() {
  erp::Cancellation cancellation;
  erp::SignalWatcher watcher(cancellation);
  return run(cancellation);
}
