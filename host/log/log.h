// Structured logs: one JSON object per line on stderr (or a test sink).
// Every value passes through redact() first, so a token that reaches a log
// call by mistake is still never written.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace vitrine::log {

enum class Level { debug, info, warn, error };

using Field = std::pair<std::string_view, std::string>;

// Writes {"ts":..., "level":..., "event":..., fields...}. [thread-safe]
void write(Level level, std::string_view event, std::initializer_list<Field> fields = {});

inline void info(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::info, event, fields);
}
inline void warn(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::warn, event, fields);
}
inline void error(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::error, event, fields);
}

// Lines below this level are dropped. Default: info.
void set_min_level(Level level);

// Replaces the output (tests capture lines); nullptr restores stderr.
void set_sink(std::function<void(const std::string& line)> sink);

// Buffered output, for the server: info and debug lines collect in memory
// and are written every 200 ms or once 64 KiB wait, in order, so a busy
// server does not make one write(2) per request. A warning or error is
// written at once, together with everything before it. Turning it off
// writes what is waiting. A crash can lose the last 200 ms of info lines.
void set_buffered(bool on);

// Replaces anything shaped like a credential with "[REDACTED]": Grafana
// service-account tokens (glsa_...), legacy API keys (eyJrIjoi...), Vitrine
// admin tokens (vtr_...), and the value after "Bearer " / "Basic ".
std::string redact(std::string_view text);

// JSON string escaping (quotes not included).
std::string json_escape(std::string_view text);

}  // namespace vitrine::log
