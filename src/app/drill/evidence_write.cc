#include "app/drill/evidence_write.h"

#include "s3/xml_replies.h"
#include "upload/confirm_write.h"

namespace erp::app {

Result<void> write_evidence(s3::ObjectStore& store, const std::string& key,
                            const catalog::DrillEvidence& evidence) {
  const std::string body = catalog::to_json(evidence);
  // Never replaces an object, and a lost answer (or one without an ETag) is settled by reading
  // the key back, so a retried PUT that met its own first attempt is not taken for a conflict.
  auto put = upload::put_new_object(store, key, body);
  if (put) return {};
  Error error = put.error();
  if (error.kind == ErrorKind::permanent && s3::is_write_conflict_code(error.code)) {
    error.message = key +
                    " already exists: evidence is never overwritten (another drill of the "
                    "same set started in the same second?): " +
                    error.message;
  } else {
    error.message = "cannot write the drill's evidence " + key + ": " + error.message;
  }
  return std::unexpected(error);
}

}  // namespace erp::app
