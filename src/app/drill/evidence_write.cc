#include "app/drill/evidence_write.h"

#include "s3/xml_replies.h"

namespace erp::app {

Result<void> write_evidence(s3::ObjectStore& store, const std::string& key,
                            const catalog::DrillEvidence& evidence) {
  const std::string body = catalog::to_json(evidence);
  auto put = store.put_object(key, body, s3::WriteCondition::if_absent);
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
