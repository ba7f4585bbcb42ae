#include "s3/bucket_configuration.h"

#include <charconv>

#include <pugixml.hpp>

#include "core/enum_names.h"

namespace erp::s3 {
namespace {

// The document's root element when it is one of `roots`; corrupt naming what came instead.
Result<pugi::xml_node> root_of(const pugi::xml_document& doc, const pugi::xml_parse_result& parsed,
                               std::initializer_list<std::string_view> roots,
                               std::string_view operation) {
  const std::string expected(*roots.begin());
  if (!parsed) {
    return make_error(ErrorKind::corrupt, std::string(operation) + ": unparseable XML reply " +
                                              "(expected <" + expected +
                                              ">): " + parsed.description());
  }
  const pugi::xml_node root = doc.document_element();
  for (const std::string_view name : roots) {
    if (name == root.name()) return root;
  }
  return make_error(ErrorKind::corrupt, std::string(operation) + ": the store answered <" +
                                            root.name() + ">, not <" + expected +
                                            "> (it does not implement the request)");
}

Result<std::optional<int>> positive_number(const pugi::xml_node& parent, const char* name) {
  const pugi::xml_node node = parent.child(name);
  if (!node) return std::nullopt;
  const std::string_view text = node.text().as_string();
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) {
    return make_error(ErrorKind::corrupt, std::string("GetObjectLockConfiguration: <") + name +
                                              "> is '" + std::string(text) +
                                              "', not a positive number");
  }
  return value;
}

}  // namespace

constexpr EnumName<VersioningStatus> kVersioningNames[] = {
    {VersioningStatus::unversioned, "unversioned"},
    {VersioningStatus::enabled, "enabled"},
    {VersioningStatus::suspended, "suspended"}};

std::string_view to_string(VersioningStatus status) {
  return name_of(kVersioningNames, status);
}

Result<BucketVersioning> parse_bucket_versioning(std::string_view body) {
  pugi::xml_document doc;
  const auto parsed = doc.load_buffer(body.data(), body.size());
  auto root = root_of(doc, parsed, {"VersioningConfiguration", "GetBucketVersioningResponse"},
                      "GetBucketVersioning");
  if (!root) return std::unexpected(root.error());
  BucketVersioning result;
  const std::string_view status = root->child("Status").text().as_string();
  if (status == "Enabled") {
    result.status = VersioningStatus::enabled;
  } else if (status == "Suspended") {
    result.status = VersioningStatus::suspended;
  } else if (!status.empty()) {
    return make_error(ErrorKind::corrupt,
                      "GetBucketVersioning: unknown <Status> '" + std::string(status) + "'");
  }
  result.mfa_delete = std::string_view(root->child("MfaDelete").text().as_string()) == "Enabled";
  return result;
}

Result<ObjectLockConfiguration> parse_object_lock_configuration(std::string_view body) {
  pugi::xml_document doc;
  const auto parsed = doc.load_buffer(body.data(), body.size());
  auto root = root_of(doc, parsed, {"ObjectLockConfiguration"}, "GetObjectLockConfiguration");
  if (!root) return std::unexpected(root.error());
  ObjectLockConfiguration result;
  result.enabled =
      std::string_view(root->child("ObjectLockEnabled").text().as_string()) == "Enabled";
  const pugi::xml_node retention = root->child("Rule").child("DefaultRetention");
  if (retention) {
    result.default_mode = retention.child("Mode").text().as_string();
    auto days = positive_number(retention, "Days");
    if (!days) return std::unexpected(days.error());
    auto years = positive_number(retention, "Years");
    if (!years) return std::unexpected(years.error());
    result.default_days = *days;
    result.default_years = *years;
  }
  return result;
}

}  // namespace erp::s3
