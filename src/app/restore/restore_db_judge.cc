#include "app/restore/restore_db_judge.h"

#include "app/sets/record_check.h"

namespace erp::app {

RestoreVerdict judge_restore(const RestoreFacts& facts) {
  RestoreVerdict verdict;
  std::vector<std::string>& problems = verdict.problems;
  if (facts.pg_restore.signal != 0) problems.push_back("pg_restore " + facts.pg_restore.describe());

  for (const pg::JudgedRestoreError& error : facts.errors) {
    switch (error.verdict) {
      case pg::RestoreErrorVerdict::failing:
        ++verdict.failing;
        break;
      case pg::RestoreErrorVerdict::harmless:
        ++verdict.harmless;
        break;
      case pg::RestoreErrorVerdict::excluded:
        ++verdict.excluded;
        break;
    }
  }
  // Lines past the reader's cap were not judged: they count as failing.
  verdict.failing += facts.errors_seen - static_cast<int>(facts.errors.size());
  if (verdict.failing > 0) {
    problems.push_back("pg_restore reported " + std::to_string(verdict.failing) +
                       " error(s) that are neither excluded (RESTORE_EXCLUDE) nor on the "
                       "harmless list; each is logged with its TOC entry");
  }
  if (facts.pg_restore.signal == 0 && facts.pg_restore.exit_code != 0 && facts.errors_seen == 0) {
    problems.push_back("pg_restore " + facts.pg_restore.describe() + " without an error line");
  }

  if (auto mismatch = record_mismatch(facts.dump, facts.read_bytes, facts.read_sha256)) {
    problems.push_back(facts.dump.key + " read during the restore does not match the manifest (" +
                       *mismatch + ")");
  }

  // Tables and partitions together: a dump of pg_dump before 14 has no TABLE ATTACH entries,
  // and counts its partitions as tables.
  const std::int64_t restored = facts.restored.table_count + facts.restored.partition_count;
  const std::int64_t expected = facts.restorable.tables + facts.restorable.partitions;
  if (restored != expected) {
    problems.push_back("the target holds " + std::to_string(facts.restored.table_count) +
                       " tables and " + std::to_string(facts.restored.partition_count) +
                       " partitions, the dump's restored entries " +
                       std::to_string(facts.restorable.tables) + " and " +
                       std::to_string(facts.restorable.partitions) + " (" +
                       std::to_string(restored) + " against " + std::to_string(expected) + ")");
  }
  if (facts.restored.llx_table_count < facts.min_tables) {
    problems.push_back(
        "the target holds " + std::to_string(facts.restored.llx_table_count) +
        " llx_ tables, fewer than RESTORE_MIN_TABLES=" + std::to_string(facts.min_tables));
  }

  for (const pg::OtherSession& other : facts.watch.intruders) {
    problems.push_back("another session was connected to the target during the restore (pid " +
                       other.pid + ", user " + (other.user.empty() ? "?" : other.user) +
                       ", application_name " + other.application_name +
                       "): it may have written to it");
  }
  if (!facts.watch.error.empty()) {
    problems.push_back(
        "the watch on the target's sessions failed, so another session may have "
        "written unseen: " +
        facts.watch.error);
  }
  return verdict;
}

}  // namespace erp::app
