// The unit-test binary's main: doctest's own, plus one rule doctest lacks. A run whose filters
// (-tc, -ts, --test-suite-exclude, a narrowed ERP_UNIT_TEST_DIR build, ...) select no test case
// fails instead of passing: "0 test cases" is a run that tested nothing, not a success.
//
// Exit status: doctest's (0 all passed, 1 a test failed); 1 as well when zero test cases ran,
// with a line on stderr naming the arguments. Queries (--help, --version, --list-test-cases,
// --count, ...) run no test by design and keep doctest's status.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <string>

namespace {

// Set by the listener when the run ends; stays unset when doctest only answered a query.
std::atomic<bool> g_run_ended{false};
std::atomic<unsigned> g_selected{0};

// A listener (not a reporter): the console output stays doctest's; this only counts.
struct SelectedTestCount : doctest::IReporter {
  explicit SelectedTestCount(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& stats) override {
    g_selected = stats.numTestCasesPassingFilters;
    g_run_ended = true;
  }
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("selected_test_count", 1, SelectedTestCount);

}  // namespace

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int status = context.run();
  if (context.shouldExit() || !g_run_ended) return status;  // a query, not a test run
  if (g_selected == 0) {
    std::string args;
    for (int i = 1; i < argc; ++i) args += std::string(" ") + argv[i];
    std::fprintf(stderr,
                 "unit_tests: the filters selected no test case (arguments:%s) - a run that tests "
                 "nothing is a failure (hint: check the -tc/-ts names, and that ERP_UNIT_TEST_DIR "
                 "in build/CMakeCache.txt is \"tests\")\n",
                 args.empty() ? " none" : args.c_str());
    return status != 0 ? status : 1;
  }
  return status;
}
