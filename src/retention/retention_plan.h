// The retention plan (SPEC §5): which backup sets `prune` keeps and which it deletes.
//
// A pure function of (sets, policy, today, whether this run's own backup failed): no
// clock, no I/O, no logging. `prune` builds the catalog, asks for a plan, then deletes
// exactly the sets whose decision is not keep() (or prints the plan for --dry-run);
// `list` shows each set's reason and, per stream, what keeps it for that stream.
//
// Retention builds on the catalog (catalog::Stream, the sets catalog::Catalog lists;
// retention/backup_sets.h turns a catalog into this plan's input); catalog/ never includes
// retention/.
//
// ## Dates
// A set is dated by the UTC calendar date of its start_time (00:00:00 to 23:59:59 UTC is
// one date). `today` is the UTC date of the run, passed in by the caller.
//
// ## Calendar arithmetic (where §5 says "calendar months" / "calendar years")
// `today - N months` keeps the day of the month and clamps it to the last day of the
// target month when that month is shorter; `today - N years` does the same, which only
// matters for 29 February:
//     2026-03-31 - 1 month   = 2026-02-28     2028-03-31 - 1 month  = 2028-02-29
//     2026-05-31 - 1 month   = 2026-04-30     2026-05-31 - 3 months = 2026-02-28
//     2029-03-01 - 12 months = 2028-03-01     2029-02-28 - 12 months = 2028-02-28
//     2028-02-29 - 1 year    = 2027-02-28     2028-02-29 - 4 years  = 2024-02-29
// (the rule of std::chrono, Java's minusMonths and date-fns). The clamp never moves the
// boundary forward into the next month, and it is monotonic: a later `today` never gives
// an earlier boundary, so a set that has left a band never comes back into it.
// `today - N days` is plain day arithmetic.
//
// ## Bands (every bound decided on dates, never on times of day)
// With D = daily_days, M = monthly_months, Y = yearly_years:
//     daily_from    = today - D days
//     monthly_after = today - M months   (clamped, see above)
//     yearly_after  = today - Y years    (clamped)
// each set holding a stream falls in the first band that claims it:
//     daily    date >= daily_from                          (inclusive: D = 30 keeps 31 dates)
//     monthly  date <  daily_from and date > monthly_after  (strict: exactly M months old is out)
//     yearly   date <= monthly_after, date < daily_from and date > yearly_after (strict)
//     expired  everything older
// A band can be empty (e.g. M = 0, or D = 90 with M = 2). Sets dated after `today`
// (clock skew) are in the daily band. D = 0 still keeps the sets dated today.
//
// ## Streams (SPEC §5: "applied per stream")
// A set holds the streams it committed and still has (BackupSet::streams): db and docs for
// a full run, one of them for `backup --only db|docs`, and the committed one of a partial
// set (its other stream failed: SPEC §5 rule 5, issue 17). Rules 1-5 below are applied once
// per stream, each time to the sets that hold that stream only, as if the other stream did
// not exist; every set gets a reason per stream it holds (Decision::db / ::docs), and a set
// is kept when any of its streams keeps it. So a later `--only docs` run is the docs
// representative of its month, while the month's newest set holding a db dump stays the
// db representative, and the month keeps both (today 2026-11-26, defaults, enough newer
// sets that min-keep plays no part):
//     2026-03-20 db+docs   db: monthly 2026-03   docs: expired           -> kept
//     2026-03-28 docs      -                      docs: monthly 2026-03   -> kept
// and with full, docs-only, full in one month the last full set represents both streams:
//     2026-03-10 db+docs   db: expired            docs: expired           -> deleted
//     2026-03-20 docs      -                      docs: expired           -> deleted
//     2026-03-28 db+docs   db: monthly 2026-03    docs: monthly 2026-03   -> kept
// A partial set is no different for the stream it holds. Six weeks in which the documents
// could not be read (docs failed every night, 2026-08-20 .. 2026-09-30, each set holding
// its db dump) followed by good nights from 2026-10-01:
//     2026-08-19 db+docs   db: expired            docs: monthly 2026-08   -> kept
//     2026-08-31 db        db: monthly 2026-08    -                       -> kept
//     2026-09-01..29 db    db: expired            -                       -> deleted
//     2026-09-30 db        db: monthly 2026-09    -                       -> kept
// September keeps its db dump and has no docs representative (none was ever committed in
// it; October's does not stand in for it). Before issue 17 a partial set was incomplete
// and every one of those dumps was deleted once older than the daily band.
// The overall reason (Decision::reason) is the first rule, in the order below, that keeps
// the set for any of its streams (daily before monthly before yearly before newest before
// min-keep; the bands are decided on the date, so two streams never disagree on the band).
// A catalog of full sets only gets the single-stream plan of before: both streams see the
// same sets and agree on every reason (the reference case still keeps 46 sets).
//
// ## Rules, in the order they are applied (the first that keeps a set names its reason)
// Rules 1-5 per stream s, among the sets holding s ("s-sets"), complete or partial:
// 1. daily     every s-set in the daily band is kept: reason `daily`.
// 2. monthly   in the monthly band, the newest s-set of each calendar month present in the
//              band is kept: `monthly YYYY-MM`. Other s-sets of that month in the band are
//              `expired` for s. A month with no s-set in the band has no representative for
//              s; a neighbouring month never stands in for it. A month split by the daily
//              bound (its last days daily) still gets its own representative from the band.
// 3. yearly    likewise per calendar year in the yearly band: `yearly YYYY`.
// 4. newest    the newest s-set is never deleted: `newest` when no rule above keeps it
//              for s (it always is kept by them when it lies in any band). So each stream's
//              newest set, the newest one that can restore it, survives.
// 5. min-keep  when fewer than policy.min_keep s-sets are kept for s by rules 1-4, the
//              newest s-sets not yet kept for s are kept, newest first, until min_keep are
//              (or every s-set is): `min-keep`. These are normally expired sets, but a
//              superseded set of a monthly/yearly band qualifies too when it is newer.
//              Counted per stream on that stream's own reasons, not on what the other
//              stream keeps: the outcome then does not depend on which stream is planned
//              first, and each stream alone guarantees min_keep surviving s-sets (a set the
//              other stream keeps may make the floor keep one set more than needed).
// Then, for the set as a whole:
// 6. incomplete sets (holding no stream: no manifest, or every committed object gone)
//              are not in any band: kept as `incomplete-young` when dated in the daily band
//              (date >= daily_from), otherwise deleted as `incomplete-expired`.
//    leftovers  of a set that holds a stream (a failed stream's uploaded object, an object
//              its manifest does not name): Decision::leftovers, decided the same way on the
//              set's date, `incomplete-young` or `incomplete-expired`. Expired leftovers of
//              a kept set are deleted while its held streams and its manifest stay; those of
//              a deleted set go with it. E.g. on 2026-11-26 a set of 2026-09-30 kept as db
//              `monthly 2026-09` whose docs upload failed after it was stored: the dump and
//              the manifest stay, the docs object is deleted.
//    unreadable sets (a manifest that cannot be trusted, catalog.h) hold no stream, are in
//              no band and are always kept: `unreadable` (SPEC §5: never an object the tool
//              can't parse). They are reported by list and prune until an operator acts.
// 7. failed run when this run's own backup failed nothing is deleted: every set that
//              rules 1-6 would delete is kept with reason `run-failed`, and so are expired
//              leftovers (reasons of the sets kept by 1-6 are unchanged; per-stream reasons
//              always are). Chosen over
//              refusing with an error so that the safe outcome does not depend on the
//              caller checking a result, and `prune --dry-run` / logs can still show what
//              would have happened.
// Everything else is deleted: `expired` (it holds a stream, none keeps it) or
// `incomplete-expired`.
//
// "Newest" orders by start_time, then by id (the larger id is the newer on equal
// times; with canonical ids equal times mean equal ids, which are refused).
//
// ## Day-by-day behaviour
// Pruning every day gives the same daily and monthly sets as one plan over the never
// pruned history, and, for every year entirely older than the monthly band, the same
// yearly set (the newest set ever made in that year). This holds per stream, reading
// "set" as "s-set": a set that survives because the other stream keeps it never
// supersedes a stream's representative, which is the newest s-set ever made in its
// period. For the one year that is split by the monthly bound, the never-pruned history
// would keep that year's newest set below the bound, which daily pruning has already
// removed as a superseded set of its month: the year is then represented by its newest
// survivor below the bound (e.g. on 2026-11-26, 2025-10-31 instead of 2025-11-26) until
// the rest of the year crosses the bound. No year or month loses all its sets because of
// this, but a year whose part below the bound lies within one month has no set below the
// bound at all (on 2026-01-15, 2025-01-01..15 are gone and 2025-01-31 is still monthly)
// until that month crosses it.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/stream.h"
#include "core/error.h"

namespace erp::retention {

using catalog::Stream;
using catalog::StreamSet;

// One backup set as the catalog sees it (retention::backup_sets, backup_sets.h).
struct BackupSet {
  std::string id;                         // "YYYYMMDDTHHMMSSZ" (backup_id.h), unique in a catalog
  std::chrono::sys_seconds start_time{};  // UTC; its date decides the set's band
  // The streams the set holds: committed per its manifest and present (catalog::held()), in
  // a complete set or a partial one. Empty: an incomplete set. The default is a full run's.
  StreamSet streams = StreamSet::both();
  // It has objects no held stream accounts for (rule 6, leftovers).
  bool leftovers = false;
  // Its manifest cannot be trusted: always kept, holds no stream (streams and leftovers are
  // not read).
  bool unreadable = false;
};

// SPEC §3 RETENTION_*. Every field must be >= 0 and at most its cap (kMax* below).
// A band counts the months (years) it touches, partial ones at either end included: with
// the defaults that is 12 months, but 0/6/0 keeps today plus 7 monthly sets.
struct RetentionPolicy {
  int daily_days = 30;      // RETENTION_DAILY_DAYS: keeps daily_days + 1 dates, every set of each
  int monthly_months = 12;  // RETENTION_MONTHLY_MONTHS: one set per month of the band
  int yearly_years = 10;    // RETENTION_YEARLY_YEARS: one set per year (accounting: 10 years)
  int min_keep = 3;         // RETENTION_MIN_KEEP: floor on kept sets, per stream
};

// Whether the backup of the run that prunes failed. A standalone `prune` passes succeeded.
enum class OwnBackup { succeeded, failed };

enum class ReasonKind {
  // keep; daily .. min_keep in the order of rules 1-5 (the overall reason is the first)
  daily,
  monthly,
  yearly,
  newest,
  min_keep,
  incomplete_young,
  unreadable,
  run_failed,
  // delete
  expired,
  incomplete_expired,
};

// "daily", "monthly", "yearly", "newest", "min-keep", "incomplete-young", "unreadable",
// "run-failed", "expired", "incomplete-expired".
std::string_view label(ReasonKind kind);

// True for the kinds that keep a set.
constexpr bool keeps(ReasonKind kind) {
  return kind != ReasonKind::expired && kind != ReasonKind::incomplete_expired;
}

struct Reason {
  ReasonKind kind = ReasonKind::expired;
  std::chrono::year year{0};    // the represented year: monthly and yearly only
  std::chrono::month month{0};  // the represented month: monthly only

  friend bool operator==(const Reason&, const Reason&) = default;
};

// The label, with the represented period for monthly and yearly:
// "daily", "monthly 2026-03", "yearly 2025", "min-keep", ...
std::string to_string(const Reason& reason);

struct Decision {
  std::string id;  // copied from the set
  Reason reason;   // for the set as a whole: the set is deleted when !keeps(reason.kind)
  // Per stream, for a set holding that stream (nullopt otherwise): daily, monthly, yearly,
  // newest, min-keep, or expired when that stream's rules do not keep it.
  std::optional<Reason> db;
  std::optional<Reason> docs;
  // For a kept set with leftovers (rule 6): incomplete-young, incomplete-expired (they are
  // deleted, the rest of the set kept) or run-failed. nullopt when the set has none, is
  // deleted whole (its leftovers with it), or is incomplete (the set's reason says it all).
  std::optional<Reason> leftovers;

  bool keep() const { return keeps(reason.kind); }
  // Whether the set stays but its leftovers are deleted.
  bool deletes_leftovers() const { return keep() && leftovers && !keeps(leftovers->kind); }
  const std::optional<Reason>& of(Stream stream) const { return stream == Stream::db ? db : docs; }
};

// "db: monthly 2026-03, docs: expired" for the streams the decision has a reason for, then
// "leftovers: incomplete-expired" when it has a leftovers reason; "" for none (an
// incomplete or unreadable set).
std::string stream_reasons_text(const Decision& decision);

// The bounds of the bands for one (policy, today); see "Bands" above.
struct RetentionBands {
  std::chrono::sys_days daily_from;     // daily: date >= daily_from
  std::chrono::sys_days monthly_after;  // monthly: monthly_after < date < daily_from
  std::chrono::sys_days yearly_after;   // yearly: yearly_after < date, below the other two
};

struct RetentionPlan {
  RetentionBands bands;
  std::vector<Decision> decisions;  // decisions[i] is the decision for sets[i]
};

// `date - n months`, clamping the day to the target month's last day (see above).
// Precondition: date.ok(). The result is ok() for any year in chrono's range.
std::chrono::year_month_day minus_months(std::chrono::year_month_day date, std::chrono::months n);
// `date - n years`, clamping 29 February to 28 February in a common year.
std::chrono::year_month_day minus_years(std::chrono::year_month_day date, std::chrono::years n);

// Caps that keep the calendar arithmetic inside chrono's range (about 1000 years each).
inline constexpr int kMaxDailyDays = 366'000;
inline constexpr int kMaxMonthlyMonths = 12'000;
inline constexpr int kMaxYearlyYears = 1'000;

// Ok, or ErrorKind::config naming the RETENTION_* variable with a hint, when a field is
// negative or above its cap, or when the policy would keep no history at all: every tier
// 0 and min_keep 0 (what unset or mistyped variables tend to produce).
Result<void> validate_policy(const RetentionPolicy& policy);

// The bands for `policy` on `today`. Errors: those of validate_policy; ErrorKind::permanent
// when !today.ok() (a caller bug, not an operator's setting).
Result<RetentionBands> retention_bands(const RetentionPolicy& policy,
                                       std::chrono::year_month_day today);

// One decision per set, index-aligned with `sets` (which may be in any order; `sets` is
// only read during the call). Errors: those of retention_bands; ErrorKind::corrupt when
// two sets share an id (a catalog that lists a set twice cannot be pruned safely).
// Cost: O(n log n) time, O(n) memory.
Result<RetentionPlan> plan_retention(std::span<const BackupSet> sets, const RetentionPolicy& policy,
                                     std::chrono::year_month_day today, OwnBackup own_backup);

}  // namespace erp::retention
