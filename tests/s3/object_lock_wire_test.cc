// The version listing and Object Lock wire forms (issue 20), pure: parse_list_object_versions and
// build_retention (xml_replies.h), object_lock_headers.h. S3Client's use of them is tested over a
// scripted transport in s3_client_lock_test.cc.
//
// Samples: moto 5.2.1 and Ceph RGW 16.2.15 (the suite's rgw_server.py cluster), captured byte for
// byte with tests/harness/capture_s3_replies.py (capture_versions: a bucket created with Object
// Lock; requests sent to the backend itself), 2026-12-07. Version ids and times are those of that
// capture. What the two show: moto ignores encoding-type=url here (no <EncodingType>, a tab in a
// key sent raw) and lists every <Version> before every <DeleteMarker>; RGW honours it and
// interleaves them in key order; both send the markers of a truncated page.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "http/transport.h"
#include "s3/object_lock_headers.h"
#include "s3/xml_replies.h"

namespace erp::s3 {
namespace {

using namespace std::chrono_literals;

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// The odd key of the capture: URL encoding must survive '+', '&', '%', a non-ASCII letter, a tab.
const std::string kOddKey = "erp/prod/odd/a b+c&d%e\xC3\xBC\t.txt";
const std::string kManifest = "erp/prod/manifests/20261130T020000Z.json";

// moto ListObjectVersions: HTTP 200
constexpr std::string_view kMotoVersions =
    R"(<?xml version="1.0" encoding="utf-8"?>)"
    "\n"
    R"(<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>false</)"
    R"(IsTruncated><KeyMarker/><VersionIdMarker/><Version><ETag>"99914b932bd37a50b983c5e7c90ae9)"
    R"(3b"</ETag><Size>2</Size><StorageClass>STANDARD</StorageClass><Key>erp/prod/manifests/202)"
    R"(61130T020000Z.json</Key><VersionId>d6819641-ce28-4c30-8c9e-4b576f0687ab</VersionId><IsLa)"
    R"(test>true</IsLatest><LastModified>2026-12-07T22:51:44.000Z</LastModified><Owner><Display)"
    R"(Name>webfile</DisplayName><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea5)"
    R"(4ba06a</ID></Owner></Version><Version><ETag>"3986008f0855babf6d0878079c2994f4"</ETag><Si)"
    R"(ze>9</Size><StorageClass>STANDARD</StorageClass><Key>erp/prod/odd/a b+c&amp;d%e)"
    "\xC3\xBC"
    "\t"
    R"(.txt</Key><VersionId>a5cf4a06-7d4b-43e1-9529-2e7bcadac5a0</VersionId><IsLatest>false</Is)"
    R"(Latest><LastModified>2026-12-07T22:51:44.000Z</LastModified><Owner><DisplayName>webfile<)"
    R"(/DisplayName><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></)"
    R"(Owner></Version><Version><ETag>"a2b6f2a6066ed8700d83335fc50a2b8e"</ETag><Size>3</Size><S)"
    R"(torageClass>STANDARD</StorageClass><Key>erp/prod/odd/a b+c&amp;d%e)"
    "\xC3\xBC"
    "\t"
    R"(.txt</Key><VersionId>520450ae-6e09-4cf1-af94-db7e5eea31ce</VersionId><IsLatest>false</Is)"
    R"(Latest><LastModified>2026-12-07T22:51:44.000Z</LastModified><Owner><DisplayName>webfile<)"
    R"(/DisplayName><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></)"
    R"(Owner></Version><DeleteMarker><Owner><DisplayName>webfile</DisplayName><ID>75aa57f09aa0c)"
    R"(8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></Owner><Key>erp/prod/odd/a b+c&)"
    R"(amp;d%e)"
    "\xC3\xBC"
    "\t"
    R"(.txt</Key><VersionId>6159fe8e-761a-4474-911a-f207d1b95b79</VersionId><IsLatest>true</IsL)"
    R"(atest><LastModified>2026-12-07T22:51:44.000Z</LastModified></DeleteMarker><Name>erp-capt)"
    R"(ure-locked</Name><Prefix>erp/</Prefix><MaxKeys>1000</MaxKeys></ListVersionsResult>)";

// moto ListObjectVersions max-keys=1: HTTP 200
constexpr std::string_view kMotoVersionsPage =
    R"(<?xml version="1.0" encoding="utf-8"?>)"
    "\n"
    R"(<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>true</I)"
    R"(sTruncated><KeyMarker/><VersionIdMarker/><NextKeyMarker>erp/prod/manifests/20261130T0200)"
    R"(00Z.json</NextKeyMarker><NextVersionIdMarker>d6819641-ce28-4c30-8c9e-4b576f0687ab</NextV)"
    R"(ersionIdMarker><Version><ETag>"99914b932bd37a50b983c5e7c90ae93b"</ETag><Size>2</Size><St)"
    R"(orageClass>STANDARD</StorageClass><Key>erp/prod/manifests/20261130T020000Z.json</Key><Ve)"
    R"(rsionId>d6819641-ce28-4c30-8c9e-4b576f0687ab</VersionId><IsLatest>true</IsLatest><LastMo)"
    R"(dified>2026-12-07T22:51:44.000Z</LastModified><Owner><DisplayName>webfile</DisplayName><)"
    R"(ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></Owner></Versio)"
    R"(n><Name>erp-capture-locked</Name><Prefix>erp/</Prefix><MaxKeys>1</MaxKeys></ListVersions)"
    R"(Result>)";

// rgw ListObjectVersions: HTTP 200
constexpr std::string_view kRgwVersions =
    R"(<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com)"
    R"(/doc/2006-03-01/"><Name>erp-capture-locked</Name><Prefix>erp/</Prefix><MaxKeys>1000</Max)"
    R"(Keys><IsTruncated>false</IsTruncated><KeyMarker></KeyMarker><VersionIdMarker></VersionId)"
    R"(Marker><Version><Key>erp/prod/manifests/20261130T020000Z.json</Key><VersionId>---EAiIn49)"
    R"(vn2GctX5Z9LcsJ6iHEBbb</VersionId><IsLatest>true</IsLatest><LastModified>2026-12-07T22:51)"
    R"(:56.841Z</LastModified><ETag>&quot;99914b932bd37a50b983c5e7c90ae93b&quot;</ETag><Size>2<)"
    R"(/Size><StorageClass>STANDARD</StorageClass><Owner><ID>erp-backup-tests</ID><DisplayName>)"
    R"(erp-backup tests</DisplayName></Owner><Type>Normal</Type></Version><DeleteMarker><Key>er)"
    R"(p/prod/odd/a b+c&amp;d%e)"
    "\xC3\xBC"
    "\t"
    R"(.txt</Key><VersionId>8zNmTvE8vMyK96AIW9p7dgigQCMP2mt</VersionId><IsLatest>true</IsLatest)"
    R"(><LastModified>2026-12-07T22:51:56.958Z</LastModified><Owner><ID>erp-backup-tests</ID><D)"
    R"(isplayName>erp-backup tests</DisplayName></Owner><Type>Normal</Type></DeleteMarker><Vers)"
    R"(ion><Key>erp/prod/odd/a b+c&amp;d%e)"
    "\xC3\xBC"
    "\t"
    R"(.txt</Key><VersionId>rvHSd8jggLJ4mhiCJxh683F7SYiuixr</VersionId><IsLatest>false</IsLates)"
    R"(t><LastModified>2026-12-07T22:51:56.924Z</LastModified><ETag>&quot;3986008f0855babf6d087)"
    R"(8079c2994f4&quot;</ETag><Size>9</Size><StorageClass>STANDARD</StorageClass><Owner><ID>er)"
    R"(p-backup-tests</ID><DisplayName>erp-backup tests</DisplayName></Owner><Type>Normal</Type)"
    R"(></Version><Version><Key>erp/prod/odd/a b+c&amp;d%e)"
    "\xC3\xBC"
    "\t"
    R"(.txt</Key><VersionId>5nYWSqnESGsIAqCOpB0bNmB1paaEKBE</VersionId><IsLatest>false</IsLates)"
    R"(t><LastModified>2026-12-07T22:51:56.878Z</LastModified><ETag>&quot;a2b6f2a6066ed8700d833)"
    R"(35fc50a2b8e&quot;</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass><Owner><ID>er)"
    R"(p-backup-tests</ID><DisplayName>erp-backup tests</DisplayName></Owner><Type>Normal</Type)"
    R"(></Version></ListVersionsResult>)";

// rgw ListObjectVersions encoding-type=url: HTTP 200
constexpr std::string_view kRgwVersionsUrl =
    R"(<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com)"
    R"(/doc/2006-03-01/"><EncodingType>url</EncodingType><Name>erp-capture-locked</Name><Prefix)"
    R"(>erp/</Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><KeyMarker></KeyMar)"
    R"(ker><VersionIdMarker></VersionIdMarker><Version><Key>erp%2Fprod%2Fmanifests%2F20261130T0)"
    R"(20000Z.json</Key><VersionId>---EAiIn49vn2GctX5Z9LcsJ6iHEBbb</VersionId><IsLatest>true</I)"
    R"(sLatest><LastModified>2026-12-07T22:51:56.841Z</LastModified><ETag>&quot;99914b932bd37a5)"
    R"(0b983c5e7c90ae93b&quot;</ETag><Size>2</Size><StorageClass>STANDARD</StorageClass><Owner>)"
    R"(<ID>erp-backup-tests</ID><DisplayName>erp-backup tests</DisplayName></Owner><Type>Normal)"
    R"(</Type></Version><DeleteMarker><Key>erp%2Fprod%2Fodd%2Fa%20b%2Bc%26d%25e%C3%BC%09.txt</K)"
    R"(ey><VersionId>8zNmTvE8vMyK96AIW9p7dgigQCMP2mt</VersionId><IsLatest>true</IsLatest><LastM)"
    R"(odified>2026-12-07T22:51:56.958Z</LastModified><Owner><ID>erp-backup-tests</ID><DisplayN)"
    R"(ame>erp-backup tests</DisplayName></Owner><Type>Normal</Type></DeleteMarker><Version><Ke)"
    R"(y>erp%2Fprod%2Fodd%2Fa%20b%2Bc%26d%25e%C3%BC%09.txt</Key><VersionId>rvHSd8jggLJ4mhiCJxh6)"
    R"(83F7SYiuixr</VersionId><IsLatest>false</IsLatest><LastModified>2026-12-07T22:51:56.924Z<)"
    R"(/LastModified><ETag>&quot;3986008f0855babf6d0878079c2994f4&quot;</ETag><Size>9</Size><St)"
    R"(orageClass>STANDARD</StorageClass><Owner><ID>erp-backup-tests</ID><DisplayName>erp-backu)"
    R"(p tests</DisplayName></Owner><Type>Normal</Type></Version><Version><Key>erp%2Fprod%2Fodd)"
    R"(%2Fa%20b%2Bc%26d%25e%C3%BC%09.txt</Key><VersionId>5nYWSqnESGsIAqCOpB0bNmB1paaEKBE</Versi)"
    R"(onId><IsLatest>false</IsLatest><LastModified>2026-12-07T22:51:56.878Z</LastModified><ETa)"
    R"(g>&quot;a2b6f2a6066ed8700d83335fc50a2b8e&quot;</ETag><Size>3</Size><StorageClass>STANDAR)"
    R"(D</StorageClass><Owner><ID>erp-backup-tests</ID><DisplayName>erp-backup tests</DisplayNa)"
    R"(me></Owner><Type>Normal</Type></Version></ListVersionsResult>)";

// rgw ListObjectVersions max-keys=1: HTTP 200
constexpr std::string_view kRgwVersionsPage =
    R"(<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com)"
    R"(/doc/2006-03-01/"><Name>erp-capture-locked</Name><Prefix>erp/</Prefix><MaxKeys>1</MaxKey)"
    R"(s><IsTruncated>true</IsTruncated><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMark)"
    R"(er><NextKeyMarker>erp/prod/manifests/20261130T020000Z.json</NextKeyMarker><NextVersionId)"
    R"(Marker>---EAiIn49vn2GctX5Z9LcsJ6iHEBbb</NextVersionIdMarker><Version><Key>erp/prod/manif)"
    R"(ests/20261130T020000Z.json</Key><VersionId>---EAiIn49vn2GctX5Z9LcsJ6iHEBbb</VersionId><I)"
    R"(sLatest>true</IsLatest><LastModified>2026-12-07T22:51:56.841Z</LastModified><ETag>&quot;)"
    R"(99914b932bd37a50b983c5e7c90ae93b&quot;</ETag><Size>2</Size><StorageClass>STANDARD</Stora)"
    R"(geClass><Owner><ID>erp-backup-tests</ID><DisplayName>erp-backup tests</DisplayName></Own)"
    R"(er><Type>Normal</Type></Version></ListVersionsResult>)";

// moto DeleteObject locked version: HTTP 403
constexpr std::string_view kMotoLockedDelete =
    R"(<?xml version="1.0" encoding="utf-8"?>)"
    "\n"
    R"(<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>STd2fdLwl1iCl)"
    R"(jxjU3h9v1NuBbTmGIa75tZERMQCB2Q0LG8mDxu6</RequestId><HostId>9Gjjt1m+cjU4OPvX9O9/8RuvnG41M)"
    R"(Rb/18Oux2o5H5MY7ISNTlXN+Dz9IG62/ILVxhAGI0qyPfg=</HostId></Error>)";

// rgw DeleteObject locked version: HTTP 403
constexpr std::string_view kRgwLockedDelete =
    R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>forbidden)"
    R"( by object lock</Message><BucketName>erp-capture-locked</BucketName><RequestId>tx0000093)"
    R"(7fa0cff2314ef6-006b17388c-1012-default</RequestId><HostId>1012-default-default</HostId><)"
    R"(/Error>)";

// --- ListObjectVersions -------------------------------------------------------------------------

TEST_CASE("ListObjectVersions (moto): versions first, then the delete marker, keys as sent") {
  const auto page = parse_list_object_versions(kMotoVersions);
  REQUIRE(page.has_value());
  CHECK_FALSE(page->next_key_marker.has_value());
  REQUIRE(page->versions.size() == 4);
  const ObjectVersion& manifest = page->versions[0];
  CHECK(manifest.key == kManifest);
  CHECK(manifest.version_id == "d6819641-ce28-4c30-8c9e-4b576f0687ab");
  CHECK(manifest.is_latest);
  CHECK_FALSE(manifest.delete_marker);
  CHECK(manifest.size == 2);
  CHECK(manifest.last_modified == "2026-12-07T22:51:44.000Z");
  CHECK(page->versions[1].key == kOddKey);  // no <EncodingType>: taken literally
  CHECK(page->versions[1].size == 9);
  CHECK_FALSE(page->versions[1].is_latest);
  CHECK(page->versions[2].version_id == "520450ae-6e09-4cf1-af94-db7e5eea31ce");
  const ObjectVersion& marker = page->versions[3];
  CHECK(marker.delete_marker);
  CHECK(marker.is_latest);
  CHECK(marker.key == kOddKey);
  CHECK(marker.version_id == "6159fe8e-761a-4474-911a-f207d1b95b79");
  CHECK(marker.size == 0);
}

TEST_CASE("ListObjectVersions (RGW): the delete marker in key order; URL-encoded keys decoded") {
  for (const std::string_view body : {kRgwVersions, kRgwVersionsUrl}) {
    const auto page = parse_list_object_versions(body);
    REQUIRE(page.has_value());
    CHECK_FALSE(page->next_key_marker.has_value());
    REQUIRE(page->versions.size() == 4);
    CHECK(page->versions[0].key == kManifest);
    CHECK(page->versions[0].version_id == "---EAiIn49vn2GctX5Z9LcsJ6iHEBbb");
    CHECK(page->versions[0].size == 2);
    CHECK(page->versions[1].delete_marker);
    CHECK(page->versions[1].is_latest);
    CHECK(page->versions[1].key == kOddKey);
    CHECK(page->versions[1].version_id == "8zNmTvE8vMyK96AIW9p7dgigQCMP2mt");
    CHECK(page->versions[2].key == kOddKey);
    CHECK_FALSE(page->versions[2].delete_marker);
    CHECK(page->versions[3].version_id == "5nYWSqnESGsIAqCOpB0bNmB1paaEKBE");
    CHECK(page->versions[3].size == 3);
  }
}

TEST_CASE("ListObjectVersions: a truncated page names both markers (moto, RGW)") {
  const auto moto = parse_list_object_versions(kMotoVersionsPage);
  REQUIRE(moto.has_value());
  CHECK(moto->versions.size() == 1);
  CHECK(moto->next_key_marker == kManifest);
  CHECK(moto->next_version_id_marker == "d6819641-ce28-4c30-8c9e-4b576f0687ab");
  const auto rgw = parse_list_object_versions(kRgwVersionsPage);
  REQUIRE(rgw.has_value());
  CHECK(rgw->next_key_marker == kManifest);
  CHECK(rgw->next_version_id_marker == "---EAiIn49vn2GctX5Z9LcsJ6iHEBbb");
}

TEST_CASE("ListObjectVersions: a URL-encoded NextKeyMarker is decoded") {
  const auto page = parse_list_object_versions(
      "<ListVersionsResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
      "<NextKeyMarker>a%20b%2Bc</NextKeyMarker><NextVersionIdMarker>v1</NextVersionIdMarker>"
      "</ListVersionsResult>");
  REQUIRE(page.has_value());
  CHECK(page->next_key_marker == "a b+c");
  CHECK(page->next_version_id_marker == "v1");
}

TEST_CASE("ListObjectVersions: what a caller acts on is checked") {
  struct Case {
    std::string_view body;
    std::string_view says;
  };
  const Case cases[] = {
      {"<ListVersionsResult><Version><Key>k</Key><Size>1</Size></Version></ListVersionsResult>",
       "without a <VersionId> (key k)"},
      {"<ListVersionsResult><DeleteMarker><VersionId>v</VersionId></DeleteMarker>"
       "</ListVersionsResult>",
       "a delete marker without a <Key>"},
      {"<ListVersionsResult><Version><Key>k</Key><VersionId>v</VersionId></Version>"
       "</ListVersionsResult>",
       "no Size for k version v"},
      {"<ListVersionsResult><Version><Key>k</Key><VersionId>v</VersionId><Size>-1</Size>"
       "</Version></ListVersionsResult>",
       "a bad Size '-1'"},
      {"<ListVersionsResult><Version><Key>k</Key><VersionId>v</VersionId><Size>1</Size>"
       "<IsLatest>maybe</IsLatest></Version></ListVersionsResult>",
       "<IsLatest>maybe</IsLatest>, neither true nor false: whether k v is the current"},
      {"<ListVersionsResult><IsTruncated>true</IsTruncated></ListVersionsResult>",
       "truncated ListObjectVersions without NextKeyMarker"},
      {"<ListVersionsResult><IsTruncated>yes</IsTruncated></ListVersionsResult>",
       "<IsTruncated>yes</IsTruncated>"},
      {"<ListBucketResult><Name>bucket</Name></ListBucketResult>",
       "reply is <ListBucketResult>, expected <ListVersionsResult>"},
      {"<html><body>502 Bad Gateway</body></html>", "expected <ListVersionsResult>"},
      {"", "empty body"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.body);
    const auto page = parse_list_object_versions(c.body);
    REQUIRE_FALSE(page.has_value());
    CHECK(page.error().kind == ErrorKind::corrupt);
    CHECK(contains(page.error().message, c.says));
  }
}

TEST_CASE("ListObjectVersions: a 200 carrying <Error> is that error, with its code") {
  const auto page = parse_list_object_versions(
      "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>");
  REQUIRE_FALSE(page.has_value());
  CHECK(page.error().code == "SlowDown");
  CHECK(page.error().kind == ErrorKind::transient);
}

TEST_CASE("ListObjectVersions: an absent <IsLatest> is false; an empty listing is empty") {
  const auto page = parse_list_object_versions(
      "<ListVersionsResult><Version><Key>k</Key><VersionId>null</VersionId><Size>0</Size>"
      "</Version></ListVersionsResult>");
  REQUIRE(page.has_value());
  REQUIRE(page->versions.size() == 1);
  CHECK(page->versions[0].version_id == "null");  // written before versioning was enabled
  CHECK_FALSE(page->versions[0].is_latest);
  const auto empty = parse_list_object_versions("<ListVersionsResult/>");
  REQUIRE(empty.has_value());
  CHECK(empty->versions.empty());
  CHECK_FALSE(empty->next_key_marker.has_value());
}

TEST_CASE("a locked version's refused delete is AccessDenied at moto and RGW alike") {
  for (const std::string_view body : {kMotoLockedDelete, kRgwLockedDelete}) {
    const auto error = parse_error(body);
    REQUIRE(error.has_value());
    CHECK(error->code == "AccessDenied");
  }
  CHECK(parse_error(kRgwLockedDelete)->message == "forbidden by object lock");
}

// --- PutObjectRetention's body ------------------------------------------------------------------

TEST_CASE("build_retention: S3's Retention document, whole seconds, UTC") {
  const ObjectLock lock{LockMode::compliance,
                        std::chrono::sys_days{std::chrono::year{2027} / 1 / 8} + 2h};
  CHECK(build_retention(lock) ==
        "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>COMPLIANCE</Mode>"
        "<RetainUntilDate>2027-01-08T02:00:00Z</RetainUntilDate></Retention>");
  CHECK(contains(build_retention({LockMode::governance, lock.retain_until}),
                 "<Mode>GOVERNANCE</Mode>"));
}

// --- lock headers -------------------------------------------------------------------------------

const ObjectLock kLock{LockMode::governance,
                       std::chrono::sys_days{std::chrono::year{2026} / 12 / 9} + 22h + 15min};

TEST_CASE("object_lock_headers: x-amz-* for S3, x-goog-* for GCS, same values") {
  const auto s3 = object_lock_headers(kLock, LockDialect::s3);
  REQUIRE(s3.size() == 2);
  CHECK(s3[0].name == "x-amz-object-lock-mode");
  CHECK(s3[0].value == "GOVERNANCE");
  CHECK(s3[1].name == "x-amz-object-lock-retain-until-date");
  CHECK(s3[1].value == "2026-12-09T22:15:00Z");
  const auto gcs = object_lock_headers(kLock, LockDialect::gcs);
  REQUIRE(gcs.size() == 2);
  CHECK(gcs[0].name == "x-goog-object-lock-mode");
  CHECK(gcs[1].name == "x-goog-object-lock-retain-until-date");
  CHECK(gcs[1].value == s3[1].value);
  CHECK(version_parameter(LockDialect::s3) == "versionId");
  CHECK(version_parameter(LockDialect::gcs) == "generation");
}

TEST_CASE("object_lock_in: the captured HEAD headers of moto and RGW") {
  // moto: whole seconds; RGW: nine fraction digits. Both the same lock.
  for (const std::string_view date : {"2099-01-01T00:00:00Z", "2099-01-01T00:00:00.000000000Z"}) {
    CAPTURE(date);
    const std::vector<http::Header> headers = {
        {"x-amz-version-id", "v1"},
        {"x-amz-object-lock-mode", "GOVERNANCE"},
        {"x-amz-object-lock-retain-until-date", std::string(date)}};
    const auto lock = object_lock_in(headers);
    REQUIRE(lock.has_value());
    REQUIRE(lock->has_value());
    CHECK((*lock)->mode == LockMode::governance);
    CHECK((*lock)->retain_until == std::chrono::sys_days{std::chrono::year{2099} / 1 / 1});
    CHECK(version_id_in(headers) == "v1");
  }
}

TEST_CASE("object_lock_in: GCS's spelling; none, or half of one, is no lock") {
  const auto gcs = object_lock_in({{"x-goog-object-lock-mode", "COMPLIANCE"},
                                   {"x-goog-object-lock-retain-until-date", "2026-12-09T22:15:00Z"},
                                   {"x-goog-generation", "1733782500123456"}});
  REQUIRE(gcs.has_value());
  REQUIRE(gcs->has_value());
  CHECK((*gcs)->mode == LockMode::compliance);
  CHECK(version_id_in({{"x-goog-generation", "1733782500123456"}}) == "1733782500123456");
  CHECK(version_id_in({}).empty());
  const auto none = object_lock_in({{"ETag", "\"e\""}});
  REQUIRE(none.has_value());
  CHECK_FALSE(none->has_value());
  const auto half = object_lock_in({{"x-amz-object-lock-mode", "GOVERNANCE"}});
  REQUIRE(half.has_value());
  CHECK_FALSE(half->has_value());
}

TEST_CASE("object_lock_in: a mode or date it cannot read is corrupt, naming the text") {
  const auto mode =
      object_lock_in({{"x-amz-object-lock-mode", "governance"},
                      {"x-amz-object-lock-retain-until-date", "2099-01-01T00:00:00Z"}});
  REQUIRE_FALSE(mode.has_value());
  CHECK(mode.error().kind == ErrorKind::corrupt);
  CHECK(contains(mode.error().message, "\"governance\""));
  const auto date = object_lock_in({{"x-amz-object-lock-mode", "GOVERNANCE"},
                                    {"x-amz-object-lock-retain-until-date", "next year"}});
  REQUIRE_FALSE(date.has_value());
  CHECK(date.error().kind == ErrorKind::corrupt);
  CHECK(contains(date.error().message, "next year"));
}

}  // namespace
}  // namespace erp::s3
