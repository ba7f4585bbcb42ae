// Which S3 implementation answers, told by the headers of its replies (the `store` check).
// Pure. Only a name for the report: no behaviour of the tool depends on it, every capability is
// probed for itself.
//
// The signs, tried in this order over every reply (the first kind with a sign wins, so a proxy
// that adds its own headers in front of a store is named by the most specific one):
//   gcs    x-guploader-uploadid (sent on every XML API reply), Server: UploadServer, x-goog-*
//   minio  Server: MinIO..., any x-minio-* header
//   rgw    any x-rgw-* header, Server naming Ceph, or an x-amz-request-id of Ceph RGW's shape
//          "tx" + 21 hex digits + "-" + hex time + "-" + hex id (+ "-" zone group), e.g.
//          tx00000a3d1b2c4e5f60718-0065f1c2d3-1039-default
//   aws    Server: AmazonS3
//   moto   x-amzn-requestid, or Server: Werkzeug... / amazon.com (moto_server's replies)
//   other  none of these (s3rver sends no identifying header)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/transport.h"

namespace erp::doctor {

enum class StoreKind { gcs, minio, rgw, aws, moto, other };

// "gcs", "minio", "rgw", "aws", "moto", "other".
std::string_view to_string(StoreKind kind);
// "Google Cloud Storage (XML API)", "MinIO", "Ceph RADOS Gateway", "AWS S3", "moto", "unknown".
std::string_view display_name(StoreKind kind);

struct StoreGuess {
  StoreKind kind = StoreKind::other;
  std::string evidence;  // the header that told, "x-guploader-uploadid: AB..." (or why none did)
};

// Each element is one reply's headers.
StoreGuess detect_store(const std::vector<std::vector<http::Header>>& replies);

// Whether `id` has the shape of a Ceph RGW request id (above).
bool is_rgw_request_id(std::string_view id);

}  // namespace erp::doctor
