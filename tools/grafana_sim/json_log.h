// JSON-lines logging to stderr. Callers pass only safe fields: request paths
// (never query strings), statuses, fault names. Tokens are never logged.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace vitrine::sim {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

using LogFields = std::vector<std::pair<std::string, std::string>>;

void set_log_level(LogLevel level);
LogLevel parse_log_level(const std::string& name);  // throws on unknown names
void log_event(LogLevel level, const std::string& msg, const LogFields& fields = {});

}  // namespace vitrine::sim
