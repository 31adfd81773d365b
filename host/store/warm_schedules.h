// Scheduled cache warming per space (docs/freshness.md, "Scheduled
// warming"): a space admin chooses off, hourly or a custom interval, and
// the server renders every macro of every page of the space past the
// caches when the schedule is due (render/warm_scheduler.h).
//
// Several hosts may share one database. Each lists the due schedules and
// claims a run with one conditional UPDATE that moves next_due_at from the
// value it saw to now + interval: only the host whose update matched runs
// it, so every due run happens on exactly one host.
//
// A schedule is checked against a table of named rules (kWarmRules); a
// refusal names the rule and says what to do:
//   warm-mode            a mode other than off, hourly, custom
//   warm-interval-range  a custom interval outside 5 minutes .. 7 days
//   warm-interval-form   an interval text that is not N followed by m, h or d
//
// Setting a schedule is a desired-state write: audited (warm.schedule, old
// and new) and announced on the change feed. Claims and finishes are
// bookkeeping of the runs, not desired state: neither audited nor on the
// feed (every host would otherwise reload its state after every run).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/backend.h"
#include "store/context.h"

namespace vitrine::store {

inline constexpr int64_t kWarmHourlyS = 3600;
inline constexpr int64_t kWarmMinIntervalS = 5 * 60;
inline constexpr int64_t kWarmMaxIntervalS = 7 * 24 * 3600;

namespace rules {
constexpr const char* kWarmMode = "warm-mode";  // a warming mode other than off, hourly or custom
constexpr const char* kWarmIntervalRange =
    "warm-interval-range";  // a custom warming interval outside 5 minutes to 7 days
constexpr const char* kWarmIntervalForm =
    "warm-interval-form";  // a warming interval that is not N followed by m, h or d
}  // namespace rules

struct WarmRule {
  const char* id;
  const char* what_to_do;
};
// The rules in the order they are checked.
extern const std::vector<WarmRule> kWarmRules;

// A schedule as asked for, after checking: mode and the interval it runs at.
struct WarmCheck {
  bool ok = false;
  std::string mode;        // when ok
  int64_t interval_s = 0;  // when ok: 3600 for hourly, 0 for off
  std::string rule;        // when refused
  std::string message;     // when refused: what is wrong and what to do
};

// mode off | hourly | custom; `interval_s` is read only for custom. [thread-safe]
WarmCheck check_warm_schedule(std::string_view mode, int64_t interval_s);

// "30m", "2h", "1d" (also "90" for minutes) into seconds; the range is not
// checked here. Refused with warm-interval-form. [thread-safe]
WarmCheck parse_warm_interval(std::string_view text);

// "off", "hourly" or "every 30m" / "every 2h" / "every 1d" / "every 90m".
std::string describe_warm_schedule(const std::string& mode, int64_t interval_s);

// Short for `interval_s`: "30m", "2h", "1d", or seconds "45s" when odd.
std::string warm_interval_text(int64_t interval_s);

// The store side of warming. Holds a Context; cheap to construct per use.
class WarmSchedules {
 public:
  explicit WarmSchedules(Context ctx) : ctx_(std::move(ctx)) {}

  // The space's schedule; mode "off" with zeros when it never had one.
  // not_found when the space does not exist.
  Result<WarmScheduleRow> get(const std::string& space);
  // Sets the schedule (refusals: Errc::invalid, message "... [rule] ...").
  // The next run is due one interval from now; setting the same mode and
  // interval again keeps the time already due. Audited as warm.schedule
  // with old and new.
  Status set(const std::string& who, const std::string& space, std::string_view mode,
             int64_t interval_s);
  // Schedules not off that are due at `now_ms`, oldest due first.
  Result<std::vector<WarmScheduleRow>> due(int64_t now_ms);
  // Claims the run of `seen` (a row from due()): true for exactly one
  // caller among every host that saw the same row. The next run is then
  // due at now_ms + interval.
  Result<bool> claim(const WarmScheduleRow& seen, const std::string& holder, int64_t now_ms);
  // Records the end of `holder`'s run (ignored when another host claimed
  // the space since).
  Status finish(const std::string& space, const std::string& holder, int64_t finished_at_ms,
                int64_t refreshed, int64_t failed);

 private:
  Context ctx_;
};

}  // namespace vitrine::store
