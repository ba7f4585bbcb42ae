// Years of nightly backups, each followed by a prune that deletes what the plan says,
// checked every day against what §5 promises an operator. The catalog is only ever the
// surviving sets, as in the bucket.
//
// The property that matters over time is that a prune never deletes a set that a later
// prune would want: once a set is gone it cannot come back, so a rule that deletes a
// future representative loses it for good. For §5 the exact statement is (see
// retention_plan.h, "Day-by-day behaviour"): every set that one plan over the whole,
// never-pruned history keeps as daily or monthly, or as yearly for a year that lies
// entirely below the monthly band, is still in the pruned catalog, with the same reason.
// (It cannot be stated for the one year split by the monthly bound: there, the never-pruned
// history keeps the year's newest set below the bound, which daily pruning has rightly
// deleted as a superseded set of its month while that month was in the monthly band; the
// last test case shows this.) Mutated rules below (oldest of a month, oldest of a year)
// make exactly these checks fail, so they are not vacuous.
//
// Per stream (issue 7): with random `backup --only db` / `--only docs` runs, everything
// above is checked for each stream on the sets holding it: every band holds, per month
// (monthly) and per settled year (yearly), the newest db dump and the newest docs archive
// ever taken there, each stream's newest set survives and each stream keeps at least
// min_keep sets. A plan that ignores streams (the single-stream rules of before) loses
// months' db dumps to later docs-only runs, and these checks see it.
//
// Partial sets (issue 17): with weeks in which one stream fails every night while the other
// commits (exit 3: no prune follows), each partial set is made holding its committed stream,
// and everything above is checked on it like on any set holding that stream: every committed
// db dump is kept by its tier. Their failed uploads (leftovers) must survive exactly while
// the set is in the daily band. A plan that treats partial sets as incomplete (the rule
// before issue 17) loses the db dumps of those weeks, and these checks see it.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "retention/retention_plan.h"
#include "retention_test_support.h"

namespace erp::retention {
namespace {

using namespace std::chrono;
using testing::complete_set;
using testing::date_text;
using testing::incomplete_set;
using testing::ymd;

using Planner = std::function<Result<RetentionPlan>(
    std::span<const BackupSet>, const RetentionPolicy&, year_month_day, OwnBackup)>;

// A set ever made that holds a stream (complete or partial), with its date worked out once.
struct Made {
  std::string id;
  sys_days date;
  year_month_day ymd;
  StreamSet streams = StreamSet::both();
};

std::size_t index(Stream stream) {
  return stream == Stream::db ? 0 : 1;
}

// The band bounds, worked out here from §5 rather than taken from the plan, so that a
// plan with wrong bounds cannot pass by agreeing with itself.
struct Bounds {
  sys_days daily_from, monthly_after, yearly_after;
};
Bounds bounds_for(const RetentionPolicy& p, year_month_day today) {
  const auto clamp = [](year_month_day d) {
    return d.ok() ? d : year_month_day{d.year() / d.month() / last};
  };
  return {sys_days{today} - days{p.daily_days}, sys_days{clamp(today - months{p.monthly_months})},
          sys_days{clamp(today - years{p.yearly_years})}};
}

// Which days have no backup, or a failed one. Deterministic, so a failure reproduces.
std::uint32_t day_hash(sys_days day) {
  return static_cast<std::uint32_t>(day.time_since_epoch().count()) * 2654435761u >> 16;
}
struct Schedule {
  bool gaps = true;  // whole February 2021, whole 2023, ~4% of other days; ~3% failures
  bool skipped(sys_days day) const {
    if (!gaps) return false;
    const year_month_day d{day};
    if (d.year() == year{2023}) return true;
    if (d.year() == year{2021} && d.month() == February) return true;
    return day_hash(day) % 100 < 4;
  }
  bool fails(sys_days day) const { return gaps && day_hash(day) % 100 >= 97; }

  // Random `--only` runs (a second hash, so they do not follow the gaps): the 02:00 run is
  // `--only db` on ~12% of days and `--only docs` on ~12%; on ~10% of days a second run at
  // 14:00 backs up one stream (docs twice as often as db), often the newest of its month.
  bool only_runs = false;
  struct Run {
    hours at;
    StreamSet streams;
    bool partial = false;  // the other stream failed: exit 3, no prune
  };
  static std::uint32_t run_hash(sys_days day) {
    return (static_cast<std::uint32_t>(day.time_since_epoch().count()) * 2246822519u +
            374761393u) >>
           12;
  }
  // Partial runs: the 02:00 full run commits one stream only. The documents fail from 20
  // August to 30 September of every year (six weeks across a month end); the database
  // from 1 to 21 March of every even year; and on one night in fifty at random, either.
  bool partial_runs = false;
  std::optional<Stream> committed_alone(sys_days day) const {
    if (!partial_runs) return std::nullopt;
    const year_month_day d{day};
    const sys_days docs_from{d.year() / August / 20}, docs_to{d.year() / September / 30};
    if (day >= docs_from && day <= docs_to) return Stream::db;
    if (static_cast<int>(d.year()) % 2 == 0 && d.month() == March &&
        d.day() <= std::chrono::day{21})
      return Stream::docs;
    const std::uint32_t h = run_hash(day) >> 8;
    if (h % 50 == 0) return h % 100 == 0 ? Stream::db : Stream::docs;
    return std::nullopt;
  }
  // Whether a partial run's failed upload stays in the bucket (a leftover): every other one.
  bool leaves_upload(sys_days day) const { return day_hash(day) % 2 == 0; }

  std::vector<Run> runs(sys_days day) const {
    if (skipped(day)) return {};
    if (const auto stream = committed_alone(day))
      return {{hours{2}, StreamSet::only(*stream), true}};
    if (!only_runs) return {{hours{2}, StreamSet::both()}};
    const std::uint32_t h = run_hash(day);
    std::vector<Run> result;
    const std::uint32_t first = h % 100;
    result.push_back({hours{2}, first < 12   ? StreamSet::only(Stream::db)
                                : first < 24 ? StreamSet::only(Stream::docs)
                                             : StreamSet::both()});
    const std::uint32_t second = (h / 100) % 30;
    if (second < 3)
      result.push_back({hours{14}, StreamSet::only(second == 0 ? Stream::db : Stream::docs)});
    return result;
  }
};

struct Simulation {
  std::vector<BackupSet> catalog;                        // the survivors
  std::map<std::string, Reason> reasons;                 // of the survivors, from the last plan
  std::map<std::string, Decision> decisions;             // the same, with the per-stream reasons
  std::vector<Made> history;                             // sets holding a stream, oldest first
  std::vector<BackupSet> history_sets;                   // the same, as sets (never pruned)
  std::vector<Made> incomplete_history;                  // failed backups ever made
  std::vector<Made> leftover_history;                    // partial sets with a failed upload
  int partial_runs[2] = {0, 0};                          // holding db, holding docs
  std::map<year, sys_days> newest_date_of_year;          // of the sets in `history`
  std::map<year, sys_days> newest_of_year_by_stream[2];  // the same, per stream (index())
  int only_runs[2] = {0, 0};                             // --only db, --only docs made
  int split_months = 0;  // months (summed over days) whose db and docs sets differ
  testing::Violations found;
  year_month_day last_day{};
  int prunes = 0;
  int deleted = 0;

  void violation(const std::string& check, const std::string& what) {
    found.add(last_day, check, what);
  }
  int count(const std::string& check) const { return found.count(check); }
  int violations() const { return found.total(); }
};

// Band checks after a prune on `today`. Every expectation comes from `history` and §5,
// for each stream on the sets holding it.
void check_day(Simulation& sim, const RetentionPolicy& policy, year_month_day today,
               const Planner& planner) {
  const Bounds b = bounds_for(policy, today);
  struct Survivor {
    sys_days date;
    StreamSet streams;
  };
  std::map<std::string, Survivor> survivors;  // survivors holding a stream
  std::vector<std::string> incomplete_survivors;
  std::vector<std::string> leftover_survivors;  // survivors holding a stream and leftovers
  for (const BackupSet& set : sim.catalog) {
    if (!set.streams.empty()) {
      survivors[set.id] = {floor<days>(set.start_time), set.streams};
      if (set.leftovers) leftover_survivors.push_back(set.id);
    } else {
      incomplete_survivors.push_back(set.id);
    }
  }
  const auto survives = [&](const std::string& id) { return survivors.count(id) == 1; };

  // Daily: every set made in the band survives.
  for (auto it = sim.history.rbegin(); it != sim.history.rend() && it->date >= b.daily_from; ++it)
    if (!survives(it->id)) sim.violation("daily", it->id + " was deleted");

  // Per stream s: monthly, the newest s-set made of each month in the band; yearly, the
  // newest s-set made of each settled year; every year within the horizon that had an
  // s-set still has one; the newest s-set ever made survives.
  std::map<year_month, const Made*> newest_of_month[2];  // in the monthly band
  for (Stream stream : catalog::kStreams) {
    const std::string name(catalog::to_string(stream));
    const std::size_t s = index(stream);
    std::map<year, const Made*> newest_of_year;  // in the yearly band
    std::map<year, bool> year_within_horizon;    // has an s-set newer than yearly_after
    const Made* newest = nullptr;
    for (auto it = sim.history.rbegin(); it != sim.history.rend(); ++it) {
      const Made& m = *it;
      if (!m.streams.has(stream)) continue;
      if (newest == nullptr) newest = &m;
      if (m.date <= b.yearly_after) break;  // older sets: only the "expired" check below
      year_within_horizon[m.ymd.year()] = true;
      if (m.date >= b.daily_from) continue;
      if (m.date > b.monthly_after) {
        newest_of_month[s].try_emplace(m.ymd.year() / m.ymd.month(), &m);
      } else {
        newest_of_year.try_emplace(m.ymd.year(), &m);
      }
    }
    if (newest != nullptr && !survives(newest->id))
      sim.violation("newest", name + ": " + newest->id + ", its newest set, was deleted");
    for (const auto& [month, made] : newest_of_month[s])
      if (!survives(made->id))
        sim.violation("monthly", name + ": " + made->id + ", the month's newest, was deleted");
    for (const auto& [y, made] : newest_of_year) {
      const sys_days newest_date = sim.newest_of_year_by_stream[s].at(y);
      const bool settled = newest_date <= b.monthly_after && newest_date < b.daily_from;
      if (settled && !survives(made->id))
        sim.violation("settled-year",
                      name + ": " + made->id + ", the newest of its year, was deleted");
    }
    std::map<year, int> survivors_within_horizon;
    for (const auto& [id, survivor] : survivors)
      if (survivor.streams.has(stream) && survivor.date > b.yearly_after)
        ++survivors_within_horizon[year_month_day{survivor.date}.year()];
    for (const auto& [y, within] : year_within_horizon)
      if (survivors_within_horizon[y] == 0)
        sim.violation("coverage",
                      name + ": " + std::to_string(static_cast<int>(y)) + " lost all its sets");
  }
  for (const auto& [month, made] : newest_of_month[0]) {
    const auto docs = newest_of_month[1].find(month);
    if (docs != newest_of_month[1].end() && docs->second != made) ++sim.split_months;
  }

  // Nothing else survives: a set in the monthly band is the newest of its month for one of
  // its streams; in the yearly band, the newest survivor of its year for one of its
  // streams; nothing below the yearly band.
  std::map<std::pair<year, std::size_t>, std::string> newest_survivor_of_year;  // (year, stream)
  for (const auto& [id, survivor] : survivors) {  // ids ascend with time: the last wins
    if (survivor.date >= b.daily_from || survivor.date > b.monthly_after ||
        survivor.date <= b.yearly_after)
      continue;
    for (Stream stream : catalog::kStreams)
      if (survivor.streams.has(stream))
        newest_survivor_of_year[{year_month_day{survivor.date}.year(), index(stream)}] = id;
  }
  for (const auto& [id, survivor] : survivors) {
    const year_month_day d{survivor.date};
    if (survivor.date >= b.daily_from) continue;
    bool represents = false;
    if (survivor.date > b.monthly_after) {
      for (Stream stream : catalog::kStreams) {
        const auto& months = newest_of_month[index(stream)];
        const auto it = months.find(d.year() / d.month());
        represents |= survivor.streams.has(stream) && it != months.end() && it->second->id == id;
      }
      if (!represents)
        sim.violation("monthly", id + " survives but is not the newest of its month for any "
                                      "stream it holds");
    } else if (survivor.date > b.yearly_after) {
      for (Stream stream : catalog::kStreams)
        represents |= survivor.streams.has(stream) &&
                      newest_survivor_of_year[{d.year(), index(stream)}] == id;
      if (!represents) sim.violation("yearly", id + " survives but represents no stream's year");
    } else {
      sim.violation("expired", id + " survives below the yearly band");
    }
  }

  // Incomplete sets: exactly those made in the daily band survive.
  std::vector<std::string> expected_incomplete;
  for (const Made& m : sim.incomplete_history)
    if (m.date >= b.daily_from) expected_incomplete.push_back(m.id);
  if (testing::join(expected_incomplete) != testing::join(incomplete_survivors))
    sim.violation("incomplete", testing::join(incomplete_survivors));
  // Leftovers of partial sets: exactly those of the sets made in the daily band survive.
  std::vector<std::string> expected_leftovers;
  for (const Made& m : sim.leftover_history)
    if (m.date >= b.daily_from) expected_leftovers.push_back(m.id);
  if (testing::join(expected_leftovers) != testing::join(leftover_survivors))
    sim.violation("leftovers", testing::join(leftover_survivors));

  // Pruning twice on the same day deletes nothing more.
  auto again = planner(sim.catalog, policy, today, OwnBackup::succeeded);
  if (!again) {
    sim.violation("idempotent", again.error().message);
  } else {
    for (const Decision& decision : again->decisions) {
      if (!decision.keep()) sim.violation("idempotent", decision.id + " deleted by a 2nd prune");
      if (decision.deletes_leftovers())
        sim.violation("idempotent", decision.id + "'s leftovers deleted by a 2nd prune");
    }
  }
}

// One plan over the never-pruned history: what it keeps as daily, monthly, or yearly for
// a settled year, must have survived, with the same reason (and the converse for the
// survivors' daily and monthly reasons). The same per stream, on each stream's reasons,
// a year being settled for a stream when its newest set of that stream is.
void check_against_full_history(Simulation& sim, const RetentionPolicy& policy,
                                year_month_day today, const Planner& planner) {
  const Bounds b = bounds_for(policy, today);
  auto full = planner(sim.history_sets, policy, today, OwnBackup::succeeded);
  if (!full) return sim.violation("full-history", full.error().message);
  const auto comparable = [&](const Reason& reason, const std::map<year, sys_days>& newest_of) {
    if (reason.kind == ReasonKind::daily || reason.kind == ReasonKind::monthly) return true;
    if (reason.kind != ReasonKind::yearly) return false;
    const sys_days newest = newest_of.at(reason.year);
    return newest <= b.monthly_after && newest < b.daily_from;
  };
  const auto compare = [&](const std::string& what, const std::map<std::string, Reason>& wanted,
                           const std::map<std::string, Reason>& pruned,
                           const std::map<year, sys_days>& newest_of) {
    for (const auto& [id, reason] : wanted) {
      const auto it = pruned.find(id);
      if (it == pruned.end()) {
        sim.violation("full-history",
                      what + id + " (" + to_string(reason) + ") was deleted earlier");
      } else if (!(it->second == reason)) {
        sim.violation("full-history",
                      what + id + " is " + to_string(it->second) + ", not " + to_string(reason));
      }
    }
    for (const auto& [id, reason] : pruned)
      if (comparable(reason, newest_of) && wanted.count(id) == 0)
        sim.violation("full-history",
                      what + id + " kept as " + to_string(reason) + " only after pruning");
  };

  std::map<std::string, Reason> wanted;
  for (const Decision& decision : full->decisions)
    if (comparable(decision.reason, sim.newest_date_of_year)) wanted[decision.id] = decision.reason;
  compare("", wanted, sim.reasons, sim.newest_date_of_year);

  for (Stream stream : catalog::kStreams) {
    const auto& newest_of = sim.newest_of_year_by_stream[index(stream)];
    std::map<std::string, Reason> wanted_s;
    std::map<std::string, Reason> pruned_s;
    for (const Decision& decision : full->decisions)
      if (decision.of(stream) && comparable(*decision.of(stream), newest_of))
        wanted_s[decision.id] = *decision.of(stream);
    for (const auto& [id, decision] : sim.decisions)
      if (decision.of(stream)) pruned_s[id] = *decision.of(stream);
    compare(std::string(catalog::to_string(stream)) + ": ", wanted_s, pruned_s, newest_of);
  }
}

// Every day from `first` for `day_count` days: the schedule's backups (each followed by a
// prune, as `backup` does), or a prune alone on a day without one.
Simulation simulate(const Planner& planner, year_month_day first, int day_count, Schedule schedule,
                    const RetentionPolicy& policy = {}) {
  Simulation sim;
  for (int k = 0; k < day_count; ++k) {
    const sys_days day = sys_days{first} + days{k};
    const year_month_day today{day};
    sim.last_day = today;
    std::vector<Schedule::Run> runs = schedule.runs(day);
    if (runs.empty()) runs.push_back({hours{-1}, StreamSet{}});  // a manual `prune`
    bool reasons_of_today = false;  // sim.reasons come from a prune on this day
    for (const Schedule::Run& run : runs) {
      reasons_of_today = false;
      OwnBackup own = OwnBackup::succeeded;
      if (run.at >= hours{0}) {
        const sys_seconds start = day + run.at;
        if (run.at == hours{2} && schedule.fails(day)) {
          own = OwnBackup::failed;
          sim.catalog.push_back(incomplete_set(start));
          sim.incomplete_history.push_back({sim.catalog.back().id, day, today});
        } else {
          BackupSet set = complete_set(start);
          set.streams = run.streams;
          if (run.partial) {
            // Exit 3: the set holds its committed stream; the backup skips its prune.
            own = OwnBackup::failed;
            set.leftovers = schedule.leaves_upload(day);
            if (set.leftovers) sim.leftover_history.push_back({set.id, day, today, set.streams});
            ++sim.partial_runs[set.streams.db ? 0 : 1];
          } else if (!(set.streams == StreamSet::both())) {
            ++sim.only_runs[set.streams.db ? 0 : 1];
          }
          sim.catalog.push_back(set);
          sim.history.push_back({set.id, day, today, set.streams});
          sim.history_sets.push_back(set);
          sim.newest_date_of_year[today.year()] = day;
          for (Stream stream : catalog::kStreams)
            if (set.streams.has(stream))
              sim.newest_of_year_by_stream[index(stream)][today.year()] = day;
        }
      }

      // The catalog before the prune, per stream, for the min-keep check.
      int held_before[2] = {0, 0};
      for (const BackupSet& set : sim.catalog)
        for (Stream stream : catalog::kStreams)
          if (set.streams.has(stream)) ++held_before[index(stream)];

      auto plan = planner(sim.catalog, policy, today, own);
      if (!plan) {
        sim.violation("plan", plan.error().message);
        return sim;
      }
      if (own == OwnBackup::failed) {
        for (const Decision& decision : plan->decisions)
          if (!decision.keep()) sim.violation("failed-run", decision.id + " would be deleted");
        continue;  // the backup command skips pruning after a failure (SPEC §2)
      }
      std::vector<BackupSet> survivors;
      sim.reasons.clear();
      sim.decisions.clear();
      int held_after[2] = {0, 0};
      for (std::size_t i = 0; i < sim.catalog.size(); ++i) {
        if (plan->decisions[i].keep()) {
          BackupSet set = sim.catalog[i];
          if (plan->decisions[i].deletes_leftovers()) set.leftovers = false;  // as prune does
          survivors.push_back(set);
          sim.reasons[set.id] = plan->decisions[i].reason;
          sim.decisions[set.id] = plan->decisions[i];
          for (Stream stream : catalog::kStreams)
            if (set.streams.has(stream)) ++held_after[index(stream)];
        } else {
          ++sim.deleted;
        }
      }
      for (Stream stream : catalog::kStreams) {
        const std::size_t s = index(stream);
        if (held_after[s] < std::min(held_before[s], policy.min_keep))
          sim.violation("min-keep", std::string(catalog::to_string(stream)) + ": " +
                                        std::to_string(held_after[s]) + " sets left of " +
                                        std::to_string(held_before[s]));
      }
      sim.catalog = std::move(survivors);
      ++sim.prunes;
      reasons_of_today = true;
      check_day(sim, policy, today, planner);
    }
    // The full-history plan is the costly check (a plan over thousands of sets): every
    // 13th day, a prime so that it visits every day of the week and of the month.
    if (reasons_of_today && (k % 13 == 0 || k == day_count - 1))
      check_against_full_history(sim, policy, today, planner);
  }
  return sim;
}

Result<RetentionPlan> real_plan(std::span<const BackupSet> sets, const RetentionPolicy& policy,
                                year_month_day today, OwnBackup own) {
  return plan_retention(sets, policy, today, own);
}

// A mutated rule: the single-stream plan of before issue 7, which treats every complete
// set as holding both streams (so a later `--only docs` set supersedes a full set).
Result<RetentionPlan> streams_ignored(std::span<const BackupSet> sets,
                                      const RetentionPolicy& policy, year_month_day today,
                                      OwnBackup own) {
  std::vector<BackupSet> full(sets.begin(), sets.end());
  for (BackupSet& set : full) set.streams = StreamSet::both();
  auto plan = plan_retention(full, policy, today, own);
  if (!plan) return plan;
  for (std::size_t i = 0; i < sets.size(); ++i) {  // reasons only for the streams held
    for (Stream stream : catalog::kStreams) {
      if (sets[i].streams.has(stream)) continue;
      (stream == Stream::db ? plan->decisions[i].db : plan->decisions[i].docs).reset();
    }
  }
  return plan;
}

// A mutated rule: the plan of before issue 17, where a partial set (one stream committed,
// the other failed) was incomplete. With a schedule without `--only` runs, every set that
// holds one stream only is a partial one.
Result<RetentionPlan> partial_as_incomplete(std::span<const BackupSet> sets,
                                            const RetentionPolicy& policy, year_month_day today,
                                            OwnBackup own) {
  std::vector<BackupSet> old_rules(sets.begin(), sets.end());
  for (BackupSet& set : old_rules)
    if (!(set.streams == StreamSet::both())) set.streams = StreamSet{};
  return plan_retention(old_rules, policy, today, own);
}

// A mutated rule: the real plan, then in one band the OLDEST set of each month (or year)
// made the representative instead of the newest.
enum class Band { monthly, yearly };
Planner oldest_instead_of_newest(Band band) {
  return [band](std::span<const BackupSet> sets, const RetentionPolicy& policy,
                year_month_day today, OwnBackup own) -> Result<RetentionPlan> {
    auto plan = plan_retention(sets, policy, today, own);
    if (!plan) return plan;
    const RetentionBands& b = plan->bands;
    std::map<int, std::size_t> oldest;  // period key -> index
    for (std::size_t i = 0; i < sets.size(); ++i) {
      const sys_days date = floor<days>(sets[i].start_time);
      const bool in_band = band == Band::monthly ? date < b.daily_from && date > b.monthly_after
                                                 : date < b.daily_from && date <= b.monthly_after &&
                                                       date > b.yearly_after;
      if (sets[i].streams.empty() || !in_band) continue;
      const year_month_day d{date};
      const int key = static_cast<int>(d.year()) * 100 +
                      (band == Band::monthly ? static_cast<int>(unsigned{d.month()}) : 0);
      auto [it, inserted] = oldest.try_emplace(key, i);
      if (!inserted && sets[i].start_time < sets[it->second].start_time) it->second = i;
      Reason& reason = plan->decisions[i].reason;
      if (reason.kind == ReasonKind::monthly || reason.kind == ReasonKind::yearly)
        reason = Reason{ReasonKind::expired};
    }
    for (const auto& [key, i] : oldest) {
      const year_month_day d{floor<days>(sets[i].start_time)};
      plan->decisions[i].reason = band == Band::monthly
                                      ? Reason{ReasonKind::monthly, d.year(), d.month()}
                                      : Reason{ReasonKind::yearly, d.year()};
    }
    return plan;
  };
}

std::string report(const Simulation& sim) {
  return sim.found.report();
}

TEST_CASE("eleven years of nightly backups and prunes keep every promise of §5 every day") {
  // 2019-06-10 + 4018 days (11 years with three 29 Februaries) = 2030-06-10, so the last
  // prune is on 2030-06-09. No backups in February 2021, in all of 2023 and on ~4% of
  // other days; ~3% of backups fail and leave an incomplete set.
  const Schedule schedule{.gaps = true};
  const Simulation sim = simulate(real_plan, ymd(2019, 6, 10), 4018, schedule);
  INFO(report(sim));
  CHECK(sim.violations() == 0);
  REQUIRE(date_text(sim.last_day) == "2030-06-09");
  CHECK(sim.prunes > 3800);
  CHECK(sim.deleted > 3000);

  // The end state, spelled out. Bounds on 2030-06-09: daily from 2030-05-10, monthly band
  // 2029-06-10 .. 2030-05-09, yearly band 2020-06-10 .. 2029-06-09.
  const Bounds b = bounds_for({}, sim.last_day);
  REQUIRE(date_text(b.daily_from) == "2030-05-10");
  REQUIRE(date_text(b.monthly_after) == "2029-06-09");
  REQUIRE(date_text(b.yearly_after) == "2020-06-09");
  std::map<std::string, bool> survivor;
  std::map<year_month, int> per_month;
  std::map<year, int> per_year;
  for (const BackupSet& set : sim.catalog) {
    if (set.streams.empty()) continue;
    survivor[set.id] = true;
    const sys_days date = floor<days>(set.start_time);
    const year_month_day d{date};
    if (date < b.daily_from && date > b.monthly_after) ++per_month[d.year() / d.month()];
    if (date <= b.monthly_after && date > b.yearly_after) ++per_year[d.year()];
  }
  std::map<year_month, bool> month_had_backups;
  std::map<year, bool> year_had_backups;
  int daily_checked = 0;
  for (const Made& m : sim.history) {
    if (m.date >= b.daily_from) {
      CHECK(survivor.count(m.id) == 1);  // every day in the daily band has its set
      ++daily_checked;
    } else if (m.date > b.monthly_after) {
      month_had_backups[m.ymd.year() / m.ymd.month()] = true;
    } else if (m.date > b.yearly_after) {
      year_had_backups[m.ymd.year()] = true;
    }
  }
  CHECK(daily_checked >= 25);
  CHECK(month_had_backups.size() == 12);  // 2029-06 .. 2030-05
  for (const auto& [month, had] : month_had_backups) {
    CAPTURE(static_cast<int>(month.year()));
    CAPTURE(unsigned{month.month()});
    CHECK(per_month[month] == 1);
  }
  // Every year in the yearly band that had backups has exactly one set there (2029 too:
  // January..May 2029 lie wholly below the bound, so May's representative stands for it).
  // 2023 had none and has none; nothing stands in for it.
  CHECK(year_had_backups.size() == 9);  // 2020..2029 without 2023
  CHECK(year_had_backups.count(year{2023}) == 0);
  for (const auto& [y, had] : year_had_backups) {
    CAPTURE(static_cast<int>(y));
    CHECK(per_year[y] == 1);
  }
  CHECK(per_year.count(year{2023}) == 0);
}

TEST_CASE("eleven years with random --only db and --only docs runs keep both streams every day") {
  // The schedule of the test above, plus random `--only` runs: the 02:00 run backs up one
  // stream on about a quarter of the days, and a second run at 14:00 one stream on about
  // a tenth. Every day, for each stream, each band holds that stream's newest set of
  // every month (monthly) and settled year (yearly) where one was ever taken.
  const Schedule schedule{.gaps = true, .only_runs = true};
  const Simulation sim = simulate(real_plan, ymd(2019, 6, 10), 4018, schedule);
  INFO(report(sim));
  CHECK(sim.violations() == 0);
  REQUIRE(date_text(sim.last_day) == "2030-06-09");
  CHECK(sim.only_runs[0] > 400);  // --only db
  CHECK(sim.only_runs[1] > 400);  // --only docs
  // Often a month's newest db dump and newest docs archive are in different sets: the
  // situation the per-stream rules are for (counted per day and month in the band).
  CHECK(sim.split_months > 1000);

  // The end state on 2030-06-09, per stream (bounds as in the test above).
  const Bounds b = bounds_for({}, sim.last_day);
  std::map<year_month, int> survivors_of_month;
  std::map<year, int> survivors_of_year;
  std::map<std::pair<year_month, std::size_t>, int> month_stream;  // (month, stream) -> count
  std::map<std::pair<year, std::size_t>, int> year_stream;
  for (const BackupSet& set : sim.catalog) {
    if (set.streams.empty()) continue;
    const sys_days date = floor<days>(set.start_time);
    const year_month_day d{date};
    const bool monthly = date < b.daily_from && date > b.monthly_after;
    const bool yearly = date <= b.monthly_after && date > b.yearly_after;
    if (monthly) ++survivors_of_month[d.year() / d.month()];
    if (yearly) ++survivors_of_year[d.year()];
    for (Stream stream : catalog::kStreams) {
      if (!set.streams.has(stream)) continue;
      if (monthly) ++month_stream[{d.year() / d.month(), index(stream)}];
      if (yearly) ++year_stream[{d.year(), index(stream)}];
    }
  }
  std::map<std::pair<year_month, std::size_t>, bool> month_had;
  std::map<std::pair<year, std::size_t>, bool> year_had;
  for (const Made& m : sim.history) {
    for (Stream stream : catalog::kStreams) {
      if (!m.streams.has(stream)) continue;
      if (m.date < b.daily_from && m.date > b.monthly_after)
        month_had[{m.ymd.year() / m.ymd.month(), index(stream)}] = true;
      else if (m.date <= b.monthly_after && m.date > b.yearly_after)
        year_had[{m.ymd.year(), index(stream)}] = true;
    }
  }
  CHECK(month_had.size() == 2 * 12);  // both streams in each of 2029-06 .. 2030-05
  for (const auto& [key, had] : month_had) {
    CAPTURE(static_cast<int>(key.first.year()));
    CAPTURE(unsigned{key.first.month()});
    CAPTURE(key.second);
    CHECK(month_stream[key] >= 1);
    CHECK(survivors_of_month[key.first] <= 2);  // at most one set per stream
  }
  CHECK(year_had.size() == 2 * 9);  // 2020..2029 without 2023, both streams
  for (const auto& [key, had] : year_had) {
    CAPTURE(static_cast<int>(key.first));
    CAPTURE(key.second);
    CHECK(year_stream[key] >= 1);
    CHECK(survivors_of_year[key.first] <= 2);
  }
  CHECK(survivors_of_year.count(year{2023}) == 0);
}

TEST_CASE("eleven years with weeks of partial sets keep every committed db dump by its tier") {
  // The schedule of the first test, plus partial runs: every year the documents fail from
  // 20 August to 30 September (each set holds its db dump, and no prune runs for those six
  // weeks: the backup exits 3), in even years the database fails from 1 to 21 March, and
  // one night in fifty either stream fails. Every day's checks see each partial set as a
  // set holding its committed stream: each month's and settled year's newest db dump ever
  // taken survives, and so on; half of the partial sets leave their failed upload behind,
  // which must survive exactly while the set is in the daily band.
  const Schedule schedule{.gaps = true, .partial_runs = true};
  const Simulation sim = simulate(real_plan, ymd(2019, 6, 10), 4018, schedule);
  INFO(report(sim));
  CHECK(sim.violations() == 0);
  REQUIRE(date_text(sim.last_day) == "2030-06-09");
  CHECK(sim.partial_runs[0] > 400);  // holding db: 42 nights a year, and random ones
  CHECK(sim.partial_runs[1] > 90);   // holding docs: 21 nights in even years, and random ones
  CHECK(sim.leftover_history.size() > 200);

  // The end state on 2030-06-09 (monthly band 2029-06-10 .. 2030-05-09). The documents
  // failed all through September 2029: September's db dump is kept in its newest partial
  // set, and nothing represents September for docs. August 2029's docs archive is from
  // before the 20th, its db dump from a partial set.
  const auto newest_made = [&](year_month month, Stream stream) {
    std::string id;
    for (const Made& m : sim.history)
      if (m.ymd.year() / m.ymd.month() == month && m.streams.has(stream)) id = m.id;
    return id;
  };
  std::map<std::string, std::string> representatives;  // "db monthly 2029-09" -> id
  for (const auto& [id, decision] : sim.decisions)
    for (Stream stream : catalog::kStreams)
      if (decision.of(stream) && decision.of(stream)->kind == ReasonKind::monthly)
        representatives[std::string(catalog::to_string(stream)) + " " +
                        to_string(*decision.of(stream))] = id;
  const std::string september_db = newest_made(year{2029} / September, Stream::db);
  CHECK(september_db.starts_with("202909"));
  CHECK(representatives["db monthly 2029-09"] == september_db);
  CHECK(newest_made(year{2029} / September, Stream::docs).empty());
  CHECK(representatives.count("docs monthly 2029-09") == 0);
  const std::string august_docs = representatives["docs monthly 2029-08"];
  CHECK(august_docs == newest_made(year{2029} / August, Stream::docs));
  CHECK(august_docs < "20290820");
  CHECK(representatives["db monthly 2029-08"] == newest_made(year{2029} / August, Stream::db));
  CHECK(representatives["db monthly 2029-08"] > "20290820");
  for (const BackupSet& set : sim.catalog) {
    if (set.id == september_db) {
      CHECK(set.streams == StreamSet::only(Stream::db));
      CHECK_FALSE(set.leftovers);  // expired with the daily band, the dump kept
    }
  }
}

TEST_CASE("the checks above catch a plan that treats partial sets as incomplete") {
  // The rule before issue 17: a partial set was incomplete, kept while young and deleted
  // after, so a month whose last nights failed for the documents lost its db dump.
  const Schedule schedule{.gaps = false, .partial_runs = true};
  const Simulation sim = simulate(partial_as_incomplete, ymd(2024, 1, 1), 3 * 366, schedule);
  INFO(report(sim));
  // (Only the band checks see it: a wrong rule applied to the whole history agrees with
  // itself, as for the plan that ignores streams.)
  CHECK(sim.count("monthly") > 100);
  const Simulation real = simulate(real_plan, ymd(2024, 1, 1), 3 * 366, schedule);
  INFO(report(real));
  CHECK(real.violations() == 0);
}

TEST_CASE("the checks above catch a plan that ignores streams") {
  // The single-stream rules: a later --only docs set is the newest set of its month and
  // supersedes the month's only db dump. Three years of random --only runs are enough.
  // Only the per-stream band checks can see it: the comparison with one plan over the
  // whole history cannot, because a wrong rule applied to the whole history agrees with
  // itself.
  const Simulation sim = simulate(streams_ignored, ymd(2024, 1, 1), 3 * 366,
                                  Schedule{.gaps = false, .only_runs = true});
  INFO(report(sim));
  CHECK(sim.count("monthly") > 100);
  // And the same schedule with the real plan has none of them.
  const Simulation real =
      simulate(real_plan, ymd(2024, 1, 1), 3 * 366, Schedule{.gaps = false, .only_runs = true});
  INFO(report(real));
  CHECK(real.violations() == 0);
}

TEST_CASE("with a tiny policy each stream keeps its newest set and min_keep of its sets") {
  // 0/0/0/2: the tiers keep only today's sets, so rules 4 and 5 do the work, per stream,
  // after every one of three years of random --only runs. Only the "newest" and "min-keep"
  // checks apply here (the band checks assume the default tiers, which this is not).
  const RetentionPolicy tiny{
      .daily_days = 0, .monthly_months = 0, .yearly_years = 0, .min_keep = 2};
  const Schedule schedule{.gaps = false, .only_runs = true};
  const Simulation real = simulate(real_plan, ymd(2024, 1, 1), 3 * 366, schedule, tiny);
  INFO(report(real));
  CHECK(real.count("newest") == 0);
  CHECK(real.count("min-keep") == 0);
  CHECK(real.prunes > 3 * 366);
  // The single-stream rules keep the two newest sets whatever they hold: after two
  // --only docs runs in a row, no db dump is left at all.
  const Simulation ignored = simulate(streams_ignored, ymd(2024, 1, 1), 3 * 366, schedule, tiny);
  CHECK(ignored.count("newest") > 0);
  CHECK(ignored.count("min-keep") > 0);
}

TEST_CASE("the checks above catch a rule that keeps the oldest set of a month") {
  // Oldest of a month as monthly representative: 31 December is deleted while December
  // is in the monthly band, so the year later keeps 1 December where the newest set of
  // the year was due. The simulation must see it (three years are enough).
  for (bool only_runs : {false, true}) {
    CAPTURE(only_runs);
    const Simulation sim = simulate(oldest_instead_of_newest(Band::monthly), ymd(2024, 1, 1),
                                    3 * 366, Schedule{.gaps = false, .only_runs = only_runs});
    INFO(report(sim));
    CHECK(sim.count("settled-year") > 0);
    CHECK(sim.count("full-history") > 0);
  }
}

TEST_CASE("the checks above catch a rule that keeps the oldest set of a year") {
  for (bool only_runs : {false, true}) {
    CAPTURE(only_runs);
    const Simulation sim = simulate(oldest_instead_of_newest(Band::yearly), ymd(2024, 1, 1),
                                    3 * 366, Schedule{.gaps = false, .only_runs = only_runs});
    INFO(report(sim));
    CHECK(sim.count("settled-year") > 0);
    CHECK(sim.count("full-history") > 0);
  }
}

TEST_CASE("pruned daily, the year split by the monthly bound keeps its newest survivor") {
  // The reference case's 1100 days (2023-11-23 .. 2026-11-26), but pruned every day
  // instead of once. Everything agrees with the single plan over the full history except
  // yearly 2025: that plan keeps 2025-11-26 (newest of 2025 below the bound 2025-11-26),
  // but daily pruning deleted it on 2025-12-28, when 2025-11-27 left the daily band and
  // superseded it as November's newest in the monthly band. What stands for 2025 below
  // the bound is then 2025-10-31 (October's representative, which crossed the bound on
  // 2026-10-31); November's own set, 2025-11-30, is still monthly. Still 46 sets.
  const Simulation sim = simulate(real_plan, ymd(2023, 11, 23), 1100, Schedule{.gaps = false});
  INFO(report(sim));
  CHECK(sim.violations() == 0);
  REQUIRE(date_text(sim.last_day) == "2026-11-26");

  const RetentionPlan full = testing::plan_or_fail(sim.history_sets, {}, sim.last_day);
  std::map<std::string, std::string> only_full, only_pruned;
  for (const Decision& decision : full.decisions)
    if (decision.keep() && sim.reasons.count(decision.id) == 0)
      only_full[decision.id] = to_string(decision.reason);
  std::map<std::string, std::string> full_reasons = testing::reasons_by_id(full);
  for (const auto& [id, reason] : sim.reasons)
    if (full_reasons.at(id) != to_string(reason)) only_pruned[id] = to_string(reason);
  CHECK(testing::expected_text(only_full) == "20251126T020000Z=yearly 2025");
  CHECK(testing::expected_text(only_pruned) == "20251031T020000Z=yearly 2025");
  CHECK(sim.reasons.size() == 46);
}

}  // namespace
}  // namespace erp::retention
