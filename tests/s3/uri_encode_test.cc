#include "s3/uri_encode.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <string_view>

namespace erp::s3 {
namespace {

struct EncodeCase {
  std::string_view input;
  std::string_view query_form;  // uri_encode
  std::string_view path_form;   // uri_encode_path
};

constexpr EncodeCase kEncodeCases[] = {
    {"", "", ""},
    {"abcXYZ019", "abcXYZ019", "abcXYZ019"},
    {"-_.~", "-_.~", "-_.~"},
    {"a/b/", "a%2Fb%2F", "a/b/"},
    {"//lead//trail//", "%2F%2Flead%2F%2Ftrail%2F%2F", "//lead//trail//"},
    {"a b", "a%20b", "a%20b"},
    {"a+b=c", "a%2Bb%3Dc", "a%2Bb%3Dc"},
    {"x&y?z#w", "x%26y%3Fz%23w", "x%26y%3Fz%23w"},
    {"100%", "100%25", "100%25"},
    {"%2F", "%252F", "%252F"},
    {"!*'();:@$,[]", "%21%2A%27%28%29%3B%3A%40%24%2C%5B%5D",
     "%21%2A%27%28%29%3B%3A%40%24%2C%5B%5D"},
    {"\"<>\\^`{|}", "%22%3C%3E%5C%5E%60%7B%7C%7D", "%22%3C%3E%5C%5E%60%7B%7C%7D"},
    {"caf\xC3\xA9", "caf%C3%A9", "caf%C3%A9"},
    {"\xE1\x88\xB4", "%E1%88%B4", "%E1%88%B4"},
    {"\xF0\x9F\x98\x80/x", "%F0%9F%98%80%2Fx", "%F0%9F%98%80/x"},
    {std::string_view("\x00\x01\x7F\xFF", 4), "%00%01%7F%FF", "%00%01%7F%FF"},
    {"tab\tnl\n", "tab%09nl%0A", "tab%09nl%0A"},
    {"./..", ".%2F..", "./.."},
};

TEST_CASE("uri_encode keeps only the unreserved set, uri_encode_path also keeps '/'") {
  for (const EncodeCase& c : kEncodeCases) {
    INFO("input: \"", std::string(c.input), "\"");
    CHECK(uri_encode(c.input) == c.query_form);
    CHECK(uri_encode_path(c.input) == c.path_form);
  }
}

TEST_CASE("every byte outside A-Za-z0-9-_.~ becomes %XX with uppercase hex") {
  for (int byte = 0; byte < 256; ++byte) {
    const std::string input(1, static_cast<char>(byte));
    const bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                            (byte >= '0' && byte <= '9') || byte == '-' || byte == '_' ||
                            byte == '.' || byte == '~';
    char escaped[4];
    std::snprintf(escaped, sizeof escaped, "%%%02X", byte);
    INFO("byte ", byte);
    CHECK(uri_encode(input) == (unreserved ? input : std::string(escaped)));
  }
}

struct DecodeCase {
  std::string_view input;
  std::string_view decoded;
};

constexpr DecodeCase kDecodeCases[] = {
    {"", ""},
    {"plain", "plain"},
    {"a%20b", "a b"},
    {"a%2fb%2F", "a/b/"},           // lowercase hex is accepted
    {"a+b", "a+b"},                 // '+' is data, not a space (not form decoding)
    {"%E1%88%B4", "\xE1\x88\xB4"},  // bytes, not code points
    {"%252F", "%2F"},               // one level only
    {"100%", "100%"},               // trailing '%' kept
    {"%4", "%4"},                   // truncated escape kept
    {"%G1x", "%G1x"},               // non-hex escape kept
    {"%%41", "%A"},                 // first '%' malformed, second decodes
    {"%00", std::string_view("\0", 1)},
};

TEST_CASE("uri_decode undoes one level of %XX and keeps malformed escapes literally") {
  for (const DecodeCase& c : kDecodeCases) {
    INFO("input: \"", std::string(c.input), "\"");
    CHECK(uri_decode(c.input) == c.decoded);
  }
}

TEST_CASE("decoding an encoded string gives back the original bytes") {
  std::string all_bytes;
  for (int byte = 0; byte < 256; ++byte) all_bytes.push_back(static_cast<char>(byte));
  CHECK(uri_decode(uri_encode(all_bytes)) == all_bytes);
  CHECK(uri_decode(uri_encode_path(all_bytes)) == all_bytes);
}

TEST_CASE("form_decode reads '+' as a space and refuses a malformed escape") {
  CHECK(form_decode("a+b%2Bc%20d%C3%BC%0D") == std::string("a b+c d\xC3\xBC\r"));
  CHECK(form_decode("") == std::string());
  CHECK(form_decode("erp%2Fprod%2F") == std::string("erp/prod/"));
  for (const std::string_view bad : {"%", "a%4", "%zz", "100%", "%G1"}) {
    CAPTURE(bad);
    CHECK_FALSE(form_decode(bad).has_value());
  }
  std::string all_bytes;
  for (int byte = 0; byte < 256; ++byte) all_bytes.push_back(static_cast<char>(byte));
  CHECK(form_decode(uri_encode(all_bytes)) == all_bytes);
}

}  // namespace
}  // namespace erp::s3
