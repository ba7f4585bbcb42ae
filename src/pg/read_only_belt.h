// How the backup keeps production read-only (SPEC §1) when a pooler sits in front of it.
//
// Two layers. The braces: pg_dump runs its whole dump in one transaction it opens READ ONLY
// itself, and the pre-flight inspection runs in BEGIN TRANSACTION READ ONLY; neither depends on
// anything the server or a pooler may refuse. The belt: the `options` startup parameter
// (PGOPTIONS for pg_dump) carries `-c default_transaction_read_only=on`, so every transaction
// of the session defaults to read only, whatever a server-side hook might run.
//
// Poolers treat that parameter differently: pgbouncer (1.18) answers
// `FATAL: unsupported startup parameter: options` unless it is listed in its
// ignore_startup_parameters, and then drops it silently. So the pre-flight tries the belt
// first, falls back to a connection without it on that refusal, and checks with
// SHOW default_transaction_read_only whether the belt took effect (ReadOnlyBelt); pg_dump is
// then started once, with or without it, and the job logs which layers held.
#pragma once

#include <string>
#include <string_view>

namespace erp::pg {

// The startup option the belt adds to the session's `options`.
inline constexpr std::string_view kReadOnlyDefaultOption = "-c default_transaction_read_only=on";

enum class ReadOnlyBelt {
  // Accepted and in effect: SHOW default_transaction_read_only said "on".
  in_effect,
  // The server or a pooler refused the `options` startup parameter: the session runs without
  // it and read-only rests on the READ ONLY transactions alone.
  refused,
  // Accepted but not in effect (a pooler dropped it, e.g. pgbouncer's
  // ignore_startup_parameters = options): the same guarantee as `refused`.
  not_in_effect,
};

// "in_effect", "refused", "not_in_effect": the value of the `belt` log field.
std::string_view to_string(ReadOnlyBelt belt);

// Whether a connection error (libpq's text, or pg_dump's stderr) says the server or a pooler
// refused the `options` startup parameter. Pure. True for pgbouncer's
// "unsupported startup parameter: options" and its later "unsupported startup parameter in
// options: ..." (case-insensitive); false for any other failure, including an unsupported
// startup parameter other than `options` (which this program does not send).
bool refuses_options_parameter(std::string_view error_text);

// The refusal's own words out of such an error, for the log: from "unsupported startup
// parameter" to the end of that line or the start of a "(hint: ...)" the message carries for
// other failures. "" when refuses_options_parameter(error_text) is false. Pure.
std::string refusal_reason(std::string_view error_text);

// `options` (the settings' own, possibly empty) followed by kReadOnlyDefaultOption,
// separated by one space. Pure.
std::string with_read_only_default(std::string_view options);

}  // namespace erp::pg
