// URL settings are checked when they load and never quoted with their userinfo (issue 17: a
// PUSHGATEWAY_URL holding a password was refused, but the refusal printed the password).
#include "config/url_setting.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

namespace erp::config {
namespace {

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

const UrlRules kRules{.example = "e.g. http://127.0.0.1:9000"};

TEST_CASE("redact_userinfo hides exactly the userinfo of the authority") {
  CHECK(redact_userinfo("https://user:pa55@pg:9091/x") == "https://<redacted>@pg:9091/x");
  CHECK(redact_userinfo("http://token@host") == "http://<redacted>@host");
  // The last '@' of the authority ends the userinfo (a password may hold '@').
  CHECK(redact_userinfo("http://u:p@ss@host/") == "http://<redacted>@host/");
  // An '@' after the authority is a path or query, not userinfo.
  CHECK(redact_userinfo("http://host/a@b?c=d@e") == "http://host/a@b?c=d@e");
  CHECK(redact_userinfo("http://host") == "http://host");
  CHECK(redact_userinfo("not a url @ all") == "not a url @ all");
}

TEST_CASE("usable URLs pass") {
  for (const std::string_view url :
       {"http://127.0.0.1:9000", "https://storage.googleapis.com",
        "https://s3.eu-west-3.amazonaws.com/", "http://minio.local:9000/base/path",
        "http://[::1]:9091", "http://[fd00:ec2::23]/v1",
        "http://pushgateway.monitoring.svc.cluster.local:9091"}) {
    CAPTURE(url);
    CHECK_FALSE(url_setting_problem("AWS_ENDPOINT_URL", url, kRules).has_value());
  }
  CHECK_FALSE(url_setting_problem("X", "http://h/p?q=1", {.query_allowed = true}).has_value());
}

TEST_CASE("each malformed URL is named, quoted without credentials, with a hint") {
  struct Case {
    std::string_view url;
    std::string_view why;
  };
  const Case cases[] = {
      {"127.0.0.1:9000", "http:// or https://"},
      {"ftp://host", "http:// or https://"},
      {"http://", "no host"},
      {"http:///path", "no host"},
      {"http://:9000", "no host"},
      {"http://host:abc", "port"},
      {"http://host:0", "port"},
      {"http://host:65536", "port"},
      {"http://host:", "port"},
      {"http://my host:9000", "spaces"},
      {"http://host:9000\n", "line breaks"},
      {"http://ho$t", "the host may hold"},
      {"http://[::1", "closing ']'"},
      {"http://[zz]:1", "IPv6"},
      {"http://host/?x=1", "no query"},
      {"http://host/#top", "no fragment"},
      {"http://user:SeCrEtPW@host:9091", "no credentials"},
      {"https://SeCrEtTOKEN@host", "no credentials"},
      // A '/' in the password ends the authority early: still never quoted.
      {"http://user:SeCrEt/pw@host:9091", "port"},
      {"http://user:SeCrEt?pw@host:9091", "port"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.url);
    const auto problem = url_setting_problem("PUSHGATEWAY_URL", c.url, kRules);
    REQUIRE(problem.has_value());
    CHECK(problem->starts_with("malformed PUSHGATEWAY_URL '"));
    CHECK(contains(*problem, c.why));
    CHECK(contains(*problem, "(hint:"));
    CHECK(contains(*problem, "e.g. http://127.0.0.1:9000"));
    CHECK_FALSE(contains(*problem, "SeCrEt"));
  }
  const auto with_password =
      url_setting_problem("PUSHGATEWAY_URL", "http://u:SeCrEt@pg:9091", kRules);
  REQUIRE(with_password.has_value());
  CHECK(contains(*with_password, "'http://<redacted>@pg:9091'"));
}

}  // namespace
}  // namespace erp::config
