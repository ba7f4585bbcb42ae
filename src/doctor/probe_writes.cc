// The probes that write objects: PutObject, the three objects of the pagination check, a ranged
// GET of what was written, a 2-part multipart upload, and a conditional PUT written twice.
#include <algorithm>
#include <set>

#include "codec/digest.h"
#include "doctor/probe_steps.h"
#include "s3/etag.h"
#include "s3/xml_replies.h"
#include "upload/confirm_write.h"

namespace erp::doctor {
namespace {

// Collects an object's bytes (the ranged GET: 100 bytes).
class StringSink final : public ByteSink {
 public:
  Result<void> write(std::span<const char> data) override {
    text_.append(data.data(), data.size());
    return {};
  }
  Result<void> finish() override { return {}; }
  void abort() noexcept override {}
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

constexpr std::uint64_t kRangeFirst = 100;
constexpr std::uint64_t kRangeLast = 199;

std::string list_key(const Ledger& ledger, int n) {
  return ledger.key(std::string(kListPrefix) + std::to_string(n));
}

}  // namespace

Check probe_put_object(ProbeEnvironment& env) {
  const CheckId id = CheckId::put_object;
  const std::string key = env.ledger.key(kProbeObject);
  const std::vector<char> body = pattern(kProbeBytes, 1);
  env.ledger.writing(key);
  auto etag = env.store.put_object(key, body);
  if (!etag) {
    if (etag.error().kind == ErrorKind::cancelled) return stopped(id);
    return failed(id, etag.error().message, fix_for(etag.error(), "s3:PutObject", env.ledger));
  }
  if (etag->empty()) {
    return degraded(id, "the store answered without an ETag",
                    "none needed: the tool confirms such writes with a HEAD (size)");
  }
  return ok(id, std::to_string(body.size()) + " bytes, ETag " + *etag);
}

Check probe_list_pagination(ProbeEnvironment& env) {
  const CheckId id = CheckId::list_pagination;
  std::set<std::string> written;
  for (int n = 1; n <= kListObjects; ++n) {
    const std::string key = list_key(env.ledger, n);
    env.ledger.writing(key);
    const std::vector<char> body = pattern(16, 10 + n);
    if (auto put = env.store.put_object(key, body); !put) {
      if (put.error().kind == ErrorKind::cancelled) return stopped(id);
      return failed(id, "could not write the objects to list: " + put.error().message,
                    fix_for(put.error(), "s3:PutObject", env.ledger));
    }
    written.insert(key);
  }
  std::vector<std::string> listed;
  std::set<std::string> tokens;
  std::string token;
  int pages = 0;
  // 3 objects at max-keys 1: 3 pages (4 when a store ends with an empty one); more is a loop.
  constexpr int kMaxPages = kListObjects + 3;
  do {
    auto page = env.store.list_objects_v2(env.ledger.key(kListPrefix), token, "", 1);
    if (!page) {
      if (page.error().kind == ErrorKind::cancelled) return stopped(id);
      return failed(id, page.error().message, fix_for(page.error(), "s3:ListBucket", env.ledger));
    }
    ++pages;
    for (const s3::ObjectInfo& object : page->objects) listed.push_back(object.key);
    token = page->next_continuation_token.value_or("");
    if (!token.empty() && !tokens.insert(token).second) {
      return failed(id,
                    "ListObjectsV2 repeated continuation token '" + token + "' after " +
                        std::to_string(pages) + " pages: the listing does not advance",
                    "a store whose ListObjectsV2 pagination works (the catalog reads every page)");
    }
  } while (!token.empty() && pages < kMaxPages);
  const std::set<std::string> unique(listed.begin(), listed.end());
  if (!token.empty() || unique != written || unique.size() != listed.size()) {
    std::string got;
    for (const std::string& key : listed) got += (got.empty() ? "" : ", ") + key;
    return failed(id,
                  "ListObjectsV2 (max-keys 1) over " + std::to_string(kListObjects) +
                      " objects returned [" + got + "] in " + std::to_string(pages) +
                      " pages: objects missing, repeated, or pages without end",
                  "a store whose ListObjectsV2 pagination works (the catalog reads every page)");
  }
  std::string detail = std::to_string(kListObjects) + " objects in " + std::to_string(pages) +
                       " pages of max-keys 1, continuation tokens followed";
  if (pages == 1) detail += " (the store ignored max-keys: one page)";
  return ok(id, std::move(detail));
}

Check probe_get_range(ProbeEnvironment& env) {
  const CheckId id = CheckId::get_range;
  const std::string key = env.ledger.key(kProbeObject);
  const std::vector<char> body = pattern(kProbeBytes, 1);
  StringSink sink;
  auto got = env.store.get_object(key, sink, s3::ByteRange{kRangeFirst, kRangeLast});
  if (!got) {
    if (got.error().kind == ErrorKind::cancelled) return stopped(id);
    return failed(id, got.error().message, fix_for(got.error(), "s3:GetObject", env.ledger));
  }
  const std::string_view expected(body.data() + kRangeFirst, kRangeLast - kRangeFirst + 1);
  if (sink.text() != expected) {
    return failed(id,
                  "GET " + key + " Range bytes=100-199 returned " +
                      std::to_string(sink.text().size()) + " bytes that differ from those written",
                  "a store that honours Range (restores resume with it)");
  }
  return ok(id, "Range bytes=100-199 of a 1 KiB object: 206, exactly those 100 bytes");
}

Check probe_multipart(ProbeEnvironment& env) {
  const CheckId id = CheckId::multipart;
  const std::string key = env.ledger.key("multipart");
  env.ledger.writing(key);
  const auto fail = [&](const Error& error, std::string_view action) {
    if (error.kind == ErrorKind::cancelled) return stopped(id);
    return failed(id, error.message, fix_for(error, action, env.ledger));
  };
  auto upload_id = env.store.create_multipart_upload(key);
  if (!upload_id) return fail(upload_id.error(), "s3:PutObject");
  env.ledger.upload_created(key, *upload_id);

  const std::vector<char> first = pattern(kFirstPartBytes, 2);
  const std::vector<char> last = pattern(kLastPartBytes, 3);
  std::vector<s3::CompletedPart> parts;
  for (const auto& [number, bytes] : {std::pair{1, &first}, std::pair{2, &last}}) {
    auto etag = env.store.upload_part(key, *upload_id, number, *bytes);
    if (!etag) return fail(etag.error(), "s3:PutObject");
    parts.push_back({number, *etag});
  }
  const std::uint64_t size = first.size() + last.size();
  const std::size_t mark = env.replies.size();
  auto answer = env.store.complete_multipart_upload(key, *upload_id, parts);
  // Settled exactly as a backup's upload is (upload/multipart_sink.cc): an answer without an
  // ETag, or a lost one, is confirmed by HEAD; nothing is ever deleted for it.
  auto settled = upload::settle_write(
      env.store, key, std::move(answer),
      "s3://" + env.store.bucket() + "/" + key + ": complete_multipart_upload", [&] {
        return upload::ExpectedObject{size, s3::multipart_etag(parts)};
      });
  if (!settled) return fail(settled.error(), "s3:PutObject");  // the cleanup aborts the upload
  env.ledger.upload_closed(*upload_id);

  auto head = env.store.head_object(key);
  if (!head) return fail(head.error(), "s3:GetObject");
  if (head->size != size) {
    return failed(id,
                  "the completed object has " + std::to_string(head->size) + " bytes, not " +
                      std::to_string(size),
                  "a store that assembles multipart uploads correctly");
  }
  const std::string shape = "2 parts (5 MiB + 1 KiB), " + std::to_string(size) + " bytes";
  if (settled->confirmed_by_reading) {
    // What the Complete answer held, from the wire: an empty ETag is Ceph RGW 16's answer.
    bool empty_etag = false;
    for (const Reply& reply : env.replies.since(mark)) {
      if (reply.method == "POST" && reply.status == 200 &&
          has_query_parameter(reply.url, "uploadId") && reply.error_code.empty()) {
        empty_etag = true;
      }
    }
    return degraded(id,
                    shape + "; CompleteMultipartUpload " +
                        (empty_etag ? std::string("answered 200 without an ETag")
                                    : "had an ambiguous answer (" +
                                          settled->confirmed_by_reading->message + ")") +
                        ": HEAD confirmed the object (ETag " +
                        (settled->etag.empty() ? std::string("none") : settled->etag) + ")",
                    "none needed: handled (the tool confirms such answers with a HEAD and never "
                    "deletes for them)");
  }
  return ok(id, shape + "; Complete answered ETag " + settled->etag);
}

Check probe_conditional_put(ProbeEnvironment& env) {
  const CheckId id = CheckId::conditional_put;
  const std::string key = env.ledger.key("conditional");
  const std::string header = s3::is_gcs_endpoint(env.config.endpoint)
                                 ? "x-goog-if-generation-match: 0"
                                 : "If-None-Match: *";
  env.ledger.writing(key);
  const std::vector<char> first = pattern(32, 4);
  auto put = env.store.put_object(key, first, s3::WriteCondition::if_absent);
  if (!put) {
    if (put.error().kind == ErrorKind::cancelled) return stopped(id);
    // The manifest, the commit point of every set, is written this way: a store that refuses
    // the header itself refuses every backup's commit.
    return failed(id, "a PUT with " + header + " to a free key was refused: " + put.error().message,
                  put.error().code == "AccessDenied"
                      ? fix_for(put.error(), "s3:PutObject", env.ledger)
                      : "a store that accepts " + header + " (or ignores it)");
  }
  const std::vector<char> second = pattern(32, 5);
  auto again = env.store.put_object(key, second, s3::WriteCondition::if_absent);
  if (!again) {
    if (again.error().kind == ErrorKind::cancelled) return stopped(id);
    if (s3::is_write_conflict_code(again.error().code)) {
      return ok(id, header + " honoured: the second write to the key was refused (" +
                        again.error().code + ")");
    }
    return failed(id, "the second conditional PUT failed otherwise: " + again.error().message,
                  "see the error above");
  }
  return degraded(id,
                  header +
                      " ignored: the second write replaced the object (moto on versioned "
                      "buckets, s3rver, RGW on versioned buckets)",
                  "none needed: the run lease keeps two backups out of one set (README, One set, "
                  "one run)");
}

}  // namespace erp::doctor
