// Structured JSON-lines log (one object per line: ts, level, event, fields).
// Callers pass only non-secret fields: ids, space keys, origins, counts.
// Secrets (tokens, keys, plaintext cache values) have no parameter here, and
// tests scan the log for a canary token (P4).
#pragma once

#include <initializer_list>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace vitrine::store {

// JSON string literal for `s` (quotes included). Control bytes are escaped.
std::string json_quote(std::string_view s);

class JsonLog {
 public:
  explicit JsonLog(std::ostream& out) : out_(out) {}
  using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;
  void info(std::string_view event, Fields fields) { write("info", event, fields); }
  void warn(std::string_view event, Fields fields) { write("warn", event, fields); }

 private:
  void write(std::string_view level, std::string_view event, Fields fields);
  std::mutex mu_;
  std::ostream& out_;
};

}  // namespace vitrine::store
