#include "doctor/store_detection.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include "core/enum_names.h"

namespace erp::doctor {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::ranges::equal(a, b, [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

bool icontains(std::string_view text, std::string_view part) {
  for (std::size_t i = 0; i + part.size() <= text.size(); ++i) {
    if (iequals(text.substr(i, part.size()), part)) return true;
  }
  return false;
}

bool is_hex(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0;
  });
}

std::string shown(const http::Header& header) {
  std::string value = header.value.substr(0, 60);
  return header.name + ": " + value;
}

// The first header of the replies that `matches`, shown as the evidence.
template <typename Matches>
std::optional<std::string> find_sign(const std::vector<std::vector<http::Header>>& replies,
                                     Matches matches) {
  for (const auto& headers : replies) {
    for (const http::Header& header : headers) {
      if (matches(header)) return shown(header);
    }
  }
  return std::nullopt;
}

bool named(const http::Header& header, std::string_view name) {
  return iequals(header.name, name);
}

}  // namespace

constexpr EnumName<StoreKind> kStoreNames[] = {
    {StoreKind::gcs, "gcs"}, {StoreKind::minio, "minio"}, {StoreKind::rgw, "rgw"},
    {StoreKind::aws, "aws"}, {StoreKind::moto, "moto"},   {StoreKind::other, "other"}};

std::string_view to_string(StoreKind kind) {
  return name_of(kStoreNames, kind, "other");
}

constexpr EnumName<StoreKind> kStoreDisplayNames[] = {
    {StoreKind::gcs, "Google Cloud Storage (XML API)"},
    {StoreKind::minio, "MinIO"},
    {StoreKind::rgw, "Ceph RADOS Gateway"},
    {StoreKind::aws, "AWS S3"},
    {StoreKind::moto, "moto"},
    {StoreKind::other, "unknown"}};

std::string_view display_name(StoreKind kind) {
  return name_of(kStoreDisplayNames, kind);
}

bool is_rgw_request_id(std::string_view id) {
  // tx + 21 hex, '-', hex time, '-', hex id, and optionally '-' and the zone group's name.
  if (!id.starts_with("tx")) return false;
  id.remove_prefix(2);
  std::array<std::string_view, 3> parts;
  for (std::string_view& part : parts) {
    const auto dash = id.find('-');
    part = id.substr(0, dash);
    id = dash == std::string_view::npos ? std::string_view() : id.substr(dash + 1);
  }
  return parts[0].size() == 21 && is_hex(parts[0]) && is_hex(parts[1]) && is_hex(parts[2]);
}

StoreGuess detect_store(const std::vector<std::vector<http::Header>>& replies) {
  struct Rule {
    StoreKind kind;
    bool (*matches)(const http::Header&);
  };
  static constexpr Rule kRules[] = {
      {StoreKind::gcs,
       [](const http::Header& h) {
         return named(h, "x-guploader-uploadid") || istarts_with(h.name, "x-goog-") ||
                (named(h, "Server") && istarts_with(h.value, "UploadServer"));
       }},
      {StoreKind::minio,
       [](const http::Header& h) {
         return istarts_with(h.name, "x-minio-") ||
                (named(h, "Server") && istarts_with(h.value, "MinIO"));
       }},
      {StoreKind::rgw,
       [](const http::Header& h) {
         return istarts_with(h.name, "x-rgw-") ||
                (named(h, "Server") && icontains(h.value, "Ceph")) ||
                (named(h, "x-amz-request-id") && is_rgw_request_id(h.value));
       }},
      {StoreKind::aws,
       [](const http::Header& h) { return named(h, "Server") && iequals(h.value, "AmazonS3"); }},
      {StoreKind::moto,
       [](const http::Header& h) {
         return named(h, "x-amzn-requestid") ||
                (named(h, "Server") &&
                 (istarts_with(h.value, "Werkzeug") || iequals(h.value, "amazon.com")));
       }},
  };
  for (const Rule& rule : kRules) {
    if (auto evidence = find_sign(replies, rule.matches)) return {rule.kind, *evidence};
  }
  const auto server = find_sign(replies, [](const http::Header& h) { return named(h, "Server"); });
  return {StoreKind::other,
          server ? "no identifying header; " + *server : "no identifying header, no Server header"};
}

}  // namespace erp::doctor
