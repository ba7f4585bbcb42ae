// The read-only belt's pure decisions: which connection errors mean "this server or pooler
// refuses the options startup parameter" (retry without it), and how the option is added.
#include "pg/read_only_belt.h"

#include <doctest/doctest.h>

#include <string>

namespace erp::pg {
namespace {

TEST_CASE("read-only belt: pgbouncer's refusals of the options parameter are recognised") {
  for (const std::string text : {
           // pgbouncer 1.18 through libpq (PgSession's one-line form)
           "cannot connect to PostgreSQL at 127.0.0.1:6432: connection to server at "
           "\"127.0.0.1\", port 6432 failed: FATAL: unsupported startup parameter: options "
           "(hint: check PGHOST/PGPORT)",
           // pg_dump's stderr for the same refusal
           "pg_dump: error: connection to server at \"127.0.0.1\", port 6432 failed: FATAL:  "
           "unsupported startup parameter: options",
           // later pgbouncers accept some settings inside options and name the one they refuse
           "FATAL:  unsupported startup parameter in options: default_transaction_read_only",
           "FATAL: Unsupported startup parameter: OPTIONS",
       }) {
    CAPTURE(text);
    CHECK(refuses_options_parameter(text));
  }
}

TEST_CASE("read-only belt: other connection failures are not a refusal of options") {
  for (const std::string text : {
           "FATAL: password authentication failed for user \"erp\"",
           "FATAL: unsupported startup parameter: extra_float_digits",
           "FATAL: unsupported startup parameter: optionsx",
           "FATAL: unsupported startup parameter: options_extra",
           "FATAL: invalid command-line argument for server process: -c",
           "could not connect to server: Connection refused",
           "options",
           "",
       }) {
    CAPTURE(text);
    CHECK_FALSE(refuses_options_parameter(text));
  }
}

TEST_CASE("read-only belt: the refusal's own words are kept for the log, without hints") {
  CHECK(refusal_reason("cannot connect to PostgreSQL at 127.0.0.1:6432: connection to server at "
                       "\"127.0.0.1\", port 6432 failed: FATAL:  unsupported startup parameter: "
                       "options (hint: check PGHOST/PGPORT and that the server accepts "
                       "connections from here)") == "unsupported startup parameter: options");
  CHECK(refusal_reason("FATAL:  Unsupported startup parameter in options: x\nmore") ==
        "Unsupported startup parameter in options: x");
  CHECK(refusal_reason("FATAL: password authentication failed") == "");
}

TEST_CASE("read-only belt: the option is appended to the settings' own options") {
  CHECK(with_read_only_default("") == "-c default_transaction_read_only=on");
  CHECK(with_read_only_default("-c statement_timeout=0") ==
        "-c statement_timeout=0 -c default_transaction_read_only=on");
}

TEST_CASE("read-only belt: each state has its log name") {
  CHECK(to_string(ReadOnlyBelt::in_effect) == "in_effect");
  CHECK(to_string(ReadOnlyBelt::refused) == "refused");
  CHECK(to_string(ReadOnlyBelt::not_in_effect) == "not_in_effect");
}

}  // namespace
}  // namespace erp::pg
