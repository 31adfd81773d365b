#include "json_log.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Object.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace vitrine::sim {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mutex;

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      break;
  }
  return "off";
}

}  // namespace

void set_log_level(LogLevel level) { g_level = static_cast<int>(level); }

LogLevel parse_log_level(const std::string& name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  if (name == "off") return LogLevel::kOff;
  throw std::invalid_argument("unknown log level '" + name + "' (debug, info, warn, error, off)");
}

void log_event(LogLevel level, const std::string& msg, const LogFields& fields) {
  if (static_cast<int>(level) < g_level.load() || level == LogLevel::kOff) return;
  Poco::JSON::Object obj(Poco::JSON_PRESERVE_KEY_ORDER);
  obj.set("ts", Poco::DateTimeFormatter::format(Poco::DateTime(),
                                                Poco::DateTimeFormat::ISO8601_FRAC_FORMAT));
  obj.set("level", level_name(level));
  obj.set("msg", msg);
  for (const auto& [k, v] : fields) obj.set(k, v);
  std::ostringstream line;
  obj.stringify(line);
  std::lock_guard lock(g_mutex);
  std::cerr << line.str() << '\n' << std::flush;
}

}  // namespace vitrine::sim
