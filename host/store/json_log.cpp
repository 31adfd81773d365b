#include "store/json_log.h"

#include <cstdio>

#include "log/log.h"
#include "store/context.h"

namespace vitrine::store {

std::string json_quote(std::string_view s) { return "\"" + log::json_escape(s) + "\""; }

void JsonLog::write(std::string_view level, std::string_view event, Fields fields) {
  std::string line = "{\"ts_ms\":" + std::to_string(system_now_ms()) +
                     ",\"level\":" + json_quote(level) + ",\"event\":" + json_quote(event);
  for (const auto& [k, v] : fields) line += "," + json_quote(k) + ":" + json_quote(v);
  line += "}\n";
  std::lock_guard<std::mutex> lock(mu_);
  out_ << line << std::flush;
}

}  // namespace vitrine::store
