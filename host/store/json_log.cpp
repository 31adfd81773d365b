#include "store/json_log.h"

#include <cstdio>

#include "store/context.h"

namespace vitrine::store {

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

void JsonLog::write(std::string_view level, std::string_view event, Fields fields) {
  std::string line = "{\"ts_ms\":" + std::to_string(system_now_ms()) +
                     ",\"level\":" + json_quote(level) + ",\"event\":" + json_quote(event);
  for (const auto& [k, v] : fields) line += "," + json_quote(k) + ":" + json_quote(v);
  line += "}\n";
  std::lock_guard<std::mutex> lock(mu_);
  out_ << line << std::flush;
}

}  // namespace vitrine::store
