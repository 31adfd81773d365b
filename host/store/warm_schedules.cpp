#include "store/warm_schedules.h"

#include <charconv>

#include "store/audit.h"

namespace vitrine::store {

const std::vector<WarmRule> kWarmRules = {
    {rules::kWarmMode, "choose off, hourly or custom"},
    {rules::kWarmIntervalRange, "choose an interval from 5 minutes (5m) to 7 days (7d), or hourly"},
    {rules::kWarmIntervalForm, "write a whole number followed by m, h or d, as in 30m, 2h or 1d"},
};

namespace {

WarmCheck refuse(const char* rule, const std::string& what) {
  std::string todo;
  for (const auto& r : kWarmRules) {
    if (std::string_view(r.id) == rule) todo = r.what_to_do;
  }
  return WarmCheck{false, {}, 0, rule, what + " [" + rule + "]; " + todo};
}

}  // namespace

WarmCheck check_warm_schedule(std::string_view mode, int64_t interval_s) {
  if (mode == "off") return WarmCheck{true, "off", 0, {}, {}};
  if (mode == "hourly") return WarmCheck{true, "hourly", kWarmHourlyS, {}, {}};
  if (mode != "custom") {
    return refuse(rules::kWarmMode,
                  "the warming mode '" + std::string(mode.substr(0, 32)) + "' is not known");
  }
  if (interval_s < kWarmMinIntervalS || interval_s > kWarmMaxIntervalS) {
    return refuse(rules::kWarmIntervalRange, "the warming interval of " +
                                                 std::to_string(interval_s) +
                                                 " s is outside 5 minutes to 7 days");
  }
  return WarmCheck{true, "custom", interval_s, {}, {}};
}

WarmCheck parse_warm_interval(std::string_view text) {
  const std::string shown(text.substr(0, 32));
  int64_t n = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(begin, end, n);
  if (ec != std::errc() || p == begin || n <= 0) {
    return refuse(rules::kWarmIntervalForm, "'" + shown + "' is not an interval");
  }
  std::string_view unit(p, static_cast<std::size_t>(end - p));
  int64_t scale = 0;
  if (unit.empty() || unit == "m") {
    scale = 60;
  } else if (unit == "h") {
    scale = 3600;
  } else if (unit == "d") {
    scale = 86400;
  } else {
    return refuse(rules::kWarmIntervalForm, "'" + shown + "' is not an interval");
  }
  // Anything beyond a year is out of range anyway; keep the product small.
  if (n > 366 * 86400 / scale) n = 366 * 86400 / scale;
  return WarmCheck{true, "custom", n * scale, {}, {}};
}

std::string warm_interval_text(int64_t s) {
  if (s > 0 && s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s > 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s > 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

std::string describe_warm_schedule(const std::string& mode, int64_t interval_s) {
  if (mode == "custom") return "every " + warm_interval_text(interval_s);
  return mode;
}

Result<WarmScheduleRow> WarmSchedules::get(const std::string& space) {
  auto sp = ctx_.db.get_space(space);
  if (!sp) return sp.error();
  auto row = ctx_.db.get_warm_schedule(space);
  if (row) return *row;
  if (row.error().code != Errc::not_found) return row.error();
  WarmScheduleRow off;
  off.space = space;
  off.mode = "off";
  return off;
}

Status WarmSchedules::set(const std::string& who, const std::string& space, std::string_view mode,
                          int64_t interval_s) {
  auto c = check_warm_schedule(mode, interval_s);
  if (!c.ok) return make_error(Errc::invalid, c.message);
  const int64_t now = ctx_.now();
  // The old value for the audit row is read just before the write; the
  // write itself starts again from the row as it is inside the transaction.
  std::string old_text = "off";
  if (auto old = ctx_.db.get_warm_schedule(space)) {
    old_text = describe_warm_schedule(old->mode, old->interval_s);
  }
  AuditEvent ev{
      who,
      space,
      "warm.schedule",
      space,
      "",
      {{"old", old_text, false}, {"new", describe_warm_schedule(c.mode, c.interval_s), false}}};
  return run_audited(ctx_, ev, [&]() -> Status {
    auto sp = ctx_.db.get_space(space);
    if (!sp) return sp.error();
    auto old = ctx_.db.get_warm_schedule(space);
    if (!old && old.error().code != Errc::not_found) return old.error();
    WarmScheduleRow next = old ? *old : WarmScheduleRow{};
    const bool same = old && old->mode == c.mode && old->interval_s == c.interval_s;
    next.space = space;
    next.mode = c.mode;
    next.interval_s = c.interval_s;
    // Saving the same schedule again does not push the next run back.
    if (!same) next.next_due_at_ms = c.mode == "off" ? 0 : now + c.interval_s * 1000;
    next.updated_at_ms = now;
    next.updated_by = who;
    return ctx_.db.put_warm_schedule(next);
  });
}

Result<std::vector<WarmScheduleRow>> WarmSchedules::due(int64_t now_ms) {
  return ctx_.db.due_warm_schedules(now_ms);
}

Result<bool> WarmSchedules::claim(const WarmScheduleRow& seen, const std::string& holder,
                                  int64_t now_ms) {
  const int64_t interval = seen.interval_s > 0 ? seen.interval_s : kWarmHourlyS;
  return ctx_.db.claim_warm_schedule(seen.space, seen.next_due_at_ms, now_ms + interval * 1000,
                                     holder, now_ms);
}

Status WarmSchedules::finish(const std::string& space, const std::string& holder,
                             int64_t finished_at_ms, int64_t refreshed, int64_t failed) {
  return ctx_.db.finish_warm_schedule(space, holder, finished_at_ms, refreshed, failed);
}

}  // namespace vitrine::store
