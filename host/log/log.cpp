#include "log/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>

namespace vitrine::log {
namespace {

std::mutex g_mu;
Level g_min = Level::info;
std::function<void(const std::string&)> g_sink;

const char* name(Level l) {
  switch (l) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "info";
}

bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == '=' || c == '+' || c == '/';
}

std::string timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

}  // namespace

std::string redact(std::string_view text) {
  // Prefixes that start a credential; the credential runs to the next
  // character that cannot be part of a token.
  static constexpr std::string_view kPrefixes[] = {"glsa_",   "eyJrIjoi", "vtr_",  "Bearer ",
                                                   "bearer ", "Basic ",   "basic "};
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool hit = false;
    for (auto p : kPrefixes) {
      if (text.substr(i, p.size()) == p) {
        size_t j = i + p.size();
        while (j < text.size() && token_char(text[j])) ++j;
        if (j > i + p.size()) {
          out += p.back() == ' ' ? std::string(p) : std::string();
          out += "[REDACTED]";
          i = j;
          hit = true;
          break;
        }
      }
    }
    if (!hit) out.push_back(text[i++]);
  }
  return out;
}

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (unsigned char c : text) {
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
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

void set_min_level(Level level) {
  std::lock_guard lock(g_mu);
  g_min = level;
}

void set_sink(std::function<void(const std::string&)> sink) {
  std::lock_guard lock(g_mu);
  g_sink = std::move(sink);
}

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  std::string line = "{\"ts\":\"" + timestamp() + "\",\"level\":\"" + name(level) +
                     "\",\"event\":\"" + json_escape(redact(event)) + "\"";
  for (const auto& [k, v] : fields) {
    line += ",\"" + json_escape(k) + "\":\"" + json_escape(redact(v)) + "\"";
  }
  line += "}";
  std::lock_guard lock(g_mu);
  if (level < g_min) return;
  if (g_sink) {
    g_sink(line);
  } else {
    std::cerr << line << '\n';
  }
}

}  // namespace vitrine::log
