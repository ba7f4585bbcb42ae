#include "s3/bucket_configuration.h"

#include <doctest/doctest.h>

#include <string>

using namespace erp;
using erp::s3::parse_bucket_versioning;
using erp::s3::parse_object_lock_configuration;
using erp::s3::VersioningStatus;

TEST_CASE("GetBucketVersioning: AWS/MinIO/RGW documents, and moto's empty answer, are read") {
  struct Case {
    std::string body;
    VersioningStatus status;
    bool mfa_delete;
  };
  const std::string ns = R"( xmlns="http://s3.amazonaws.com/doc/2006-03-01/")";
  for (const Case& c : {
           Case{"<VersioningConfiguration" + ns + "/>", VersioningStatus::unversioned, false},
           Case{"<VersioningConfiguration" + ns +
                    "><Status>Enabled</Status></VersioningConfiguration>",
                VersioningStatus::enabled, false},
           Case{"<VersioningConfiguration><Status>Suspended</Status><MfaDelete>Enabled</MfaDelete>"
                "</VersioningConfiguration>",
                VersioningStatus::suspended, true},
           // moto_server, a bucket that never had versioning (measured).
           Case{R"(<?xml version="1.0" encoding="utf-8"?>)"
                "\n<GetBucketVersioningResponse" +
                    ns + "/>",
                VersioningStatus::unversioned, false},
       }) {
    CAPTURE(c.body);
    const auto parsed = parse_bucket_versioning(c.body);
    REQUIRE(parsed.has_value());
    CHECK(parsed->status == c.status);
    CHECK(parsed->mfa_delete == c.mfa_delete);
  }
}

TEST_CASE("GetBucketVersioning: s3rver's bucket listing is not read as \"unversioned\"") {
  // s3rver 3.7 ignores ?versioning and lists the bucket (measured).
  const std::string listing =
      R"(<?xml version="1.0" encoding="UTF-8"?>)"
      "\n<ListBucketResult xmlns=\"http://doc.s3.amazonaws.com/2006-03-01/\"><Name>b</Name>"
      "<Prefix></Prefix><Marker></Marker><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
      "</ListBucketResult>";
  const auto parsed = parse_bucket_versioning(listing);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().kind == ErrorKind::corrupt);
  CHECK(parsed.error().message.find("<ListBucketResult>") != std::string::npos);
  for (const std::string body : {"", "<html>oops</html>", "not xml <",
                                 "<VersioningConfiguration><Status>On</Status>"
                                 "</VersioningConfiguration>"}) {
    CAPTURE(body);
    const auto bad = parse_bucket_versioning(body);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().kind == ErrorKind::corrupt);
  }
}

TEST_CASE("GetObjectLockConfiguration: enabled, with or without a default retention") {
  const auto plain = parse_object_lock_configuration(
      "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
      "</ObjectLockConfiguration>");
  REQUIRE(plain.has_value());
  CHECK(plain->enabled);
  CHECK(plain->default_mode.empty());
  CHECK_FALSE(plain->default_days.has_value());

  const auto days = parse_object_lock_configuration(
      R"(<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
      "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>"
      "<Mode>GOVERNANCE</Mode><Days>30</Days></DefaultRetention></Rule>"
      "</ObjectLockConfiguration>");
  REQUIRE(days.has_value());
  CHECK(days->enabled);
  CHECK(days->default_mode == "GOVERNANCE");
  CHECK(days->default_days == 30);
  CHECK_FALSE(days->default_years.has_value());

  const auto years = parse_object_lock_configuration(
      "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule>"
      "<DefaultRetention><Mode>COMPLIANCE</Mode><Years>10</Years></DefaultRetention></Rule>"
      "</ObjectLockConfiguration>");
  REQUIRE(years.has_value());
  CHECK(years->default_mode == "COMPLIANCE");
  CHECK(years->default_years == 10);
}

TEST_CASE("GetObjectLockConfiguration: other documents and bad numbers are corrupt") {
  for (const std::string body :
       {"<Error><Code>NotImplemented</Code></Error>", "<ListBucketResult/>", "",
        "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule>"
        "<DefaultRetention><Mode>GOVERNANCE</Mode><Days>-1</Days></DefaultRetention></Rule>"
        "</ObjectLockConfiguration>",
        "<ObjectLockConfiguration><Rule><DefaultRetention><Years>ten</Years>"
        "</DefaultRetention></Rule></ObjectLockConfiguration>"}) {
    CAPTURE(body);
    const auto parsed = parse_object_lock_configuration(body);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().kind == ErrorKind::corrupt);
  }
}
