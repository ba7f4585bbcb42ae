#include <unistd.h>

#include <optional>
#include <string>
#include <string_view>

#include "app/commands/object_commands.h"
#include "app/sets/record_check.h"
#include "catalog/catalog.h"
#include "catalog/key_layout.h"
#include "catalog/manifest.h"
#include "codec/sha256_tap.h"
#include "core/fd_stream.h"

namespace erp::app {
namespace {

// The manifest's record of `key` when it is a stream object of a committed set: the key reads
// <root>/db/<ID>.dump[.zst] or <root>/docs/<ID>.tar.zst, with <root> = <prefix>/<env>, and
// <root>/manifests/<ID>.json names exactly this key as committed. nullopt when the key is no
// set object, or its set has no manifest (an uncommitted leftover, someone else's file): there is
// nothing to check the bytes against. Errors: reading or parsing that manifest (not_found aside).
Result<std::optional<catalog::StreamRecord>> manifest_record(s3::ObjectStore& store,
                                                             const std::string& key) {
  for (std::string_view folder : {"/db/", "/docs/"}) {
    const std::size_t at = key.rfind(folder);
    if (at == std::string::npos) continue;
    const std::string root = key.substr(0, at);
    const std::size_t slash = root.rfind('/');
    if (slash == std::string::npos || slash == 0) return std::nullopt;
    const catalog::KeyLayout layout(root.substr(0, slash), root.substr(slash + 1));
    const auto parsed = layout.parse(key);
    if (!parsed || (parsed->kind != catalog::ObjectKind::db_dump &&
                    parsed->kind != catalog::ObjectKind::docs_archive)) {
      return std::nullopt;
    }
    const std::string manifest_key = layout.manifest_key(parsed->id);
    auto text = catalog::read_small_object(store, manifest_key);
    if (!text) {
      if (text.error().kind == ErrorKind::not_found) return std::nullopt;
      return std::unexpected(text.error().with_context("reading " + manifest_key));
    }
    auto manifest = catalog::parse_manifest(*text);
    if (!manifest) return std::unexpected(manifest.error().with_context(manifest_key));
    for (const auto& record : {manifest->db, manifest->docs}) {
      if (record && record->key == key && record->status == catalog::StreamStatus::committed) {
        return record;
      }
    }
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

ExitCode run_cat(Context& context, const Arguments& args) {
  const std::string& key = args.positionals().at(0);
  auto fail = [&](const Error& error) {
    context.log.error("cat failed",
                      {{"bucket", context.s3.bucket()}, {"key", key}, {"error", error.message}});
    return exit_code_for(error, context.cancellation);
  };
  // A set's object is checked against its manifest: the transfer's own checks (length, a
  // resumed read pinned to the ETag) cannot see a flipped byte, and exit 0 must mean that
  // stdout received the object as it was backed up.
  auto expected = manifest_record(context.s3, key);
  if (!expected) return fail(expected.error());
  FdSink stdout_sink(STDOUT_FILENO);
  codec::Sha256Tap hashed(stdout_sink);
  ByteSink& sink = *expected ? static_cast<ByteSink&>(hashed) : stdout_sink;
  auto result = context.s3.get_object(key, sink, std::nullopt);
  if (!result) return fail(result.error());
  if (!*expected) return ExitCode::ok;
  if (auto finished = hashed.finish(); !finished) return fail(finished.error());
  const catalog::StreamRecord& record = **expected;
  if (auto mismatch = record_mismatch(record, hashed.bytes(), hashed.hex())) {
    return fail(Error{ErrorKind::corrupt,
                      *mismatch +
                          " (hint: what reached stdout is not the object as backed up; read it "
                          "again, and run verify on its set)"});
  }
  context.log.info("cat checked against the manifest", {{"key", key}, {"sha256", hashed.hex()}});
  return ExitCode::ok;
}

}  // namespace erp::app
