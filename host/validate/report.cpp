#include "validate/report.h"

#include <cstdio>

namespace vitrine::validate {
namespace {

bool has(const std::vector<Finding>& f, Level level) {
  for (const auto& x : f) {
    if (x.level == level) return true;
  }
  return false;
}

std::string seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ms) / 1000.0);
  return buf;
}

// XML 1.0 text and attribute values: the five specials escaped, control
// characters XML cannot carry replaced.
std::string xml(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t') {
          out += '?';
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string lines(const std::vector<Finding>& findings, Level level) {
  std::string out;
  for (const auto& f : findings) {
    if (f.level == level) out += "[" + f.check + "] " + f.message + "\n";
  }
  return out;
}

}  // namespace

int Report::failures() const {
  int n = has(plugin_findings, Level::fail) ? 1 : 0;
  for (const auto& c : cases) n += has(c.findings, Level::fail) ? 1 : 0;
  return n;
}

int Report::warnings() const {
  int n = 0;
  for (const auto& f : plugin_findings) n += f.level == Level::warn ? 1 : 0;
  for (const auto& c : cases) {
    for (const auto& f : c.findings) n += f.level == Level::warn ? 1 : 0;
  }
  return n;
}

void write_text(std::ostream& out, const Report& r) {
  out << "validate " << r.plugin_id << " " << r.version << " (" << r.source << ")\n";
  for (const auto& c : r.cases) {
    const std::string head = c.c.macro + " [" + to_string(c.c.kind) + "] " + c.c.name;
    if (c.findings.empty()) {
      out << "PASS " << head << ": " << c.status << (c.rule.empty() ? "" : " [" + c.rule + "]")
          << ", " << c.elapsed_ms << " ms\n";
      continue;
    }
    for (const auto& f : c.findings) {
      out << to_string(f.level) << " " << head << ": " << f.check << ": " << f.message << "\n";
    }
  }
  for (const auto& f : r.plugin_findings) {
    out << to_string(f.level) << " " << r.plugin_id << ": " << f.check << ": " << f.message << "\n";
  }
  const int total = static_cast<int>(r.cases.size());
  out << r.plugin_id << ": " << total << " renders, " << (total - r.failures()) << " passed, "
      << r.failures() << " failed, " << r.warnings() << " warnings in " << seconds(r.elapsed_ms)
      << " s: " << (r.passed() ? "PASSED" : "FAILED") << "\n";
}

void write_junit(std::ostream& out, const std::vector<Report>& reports) {
  int tests = 0, failures = 0;
  int64_t ms = 0;
  for (const auto& r : reports) {
    tests += static_cast<int>(r.cases.size()) + 1;
    failures += r.failures();
    ms += r.elapsed_ms;
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"vitrine plugins validate\" tests=\"" << tests << "\" failures=\""
      << failures << "\" time=\"" << seconds(ms) << "\">\n";
  for (const auto& r : reports) {
    out << "  <testsuite name=\"" << xml(r.plugin_id) << "\" tests=\"" << r.cases.size() + 1
        << "\" failures=\"" << r.failures() << "\" time=\"" << seconds(r.elapsed_ms) << "\">\n";
    auto testcase = [&](const std::string& cls, const std::string& name, int64_t case_ms,
                        const std::vector<Finding>& findings) {
      out << "    <testcase classname=\"" << xml(cls) << "\" name=\"" << xml(name) << "\" time=\""
          << seconds(case_ms) << "\">\n";
      const std::string failed = lines(findings, Level::fail);
      if (!failed.empty()) {
        out << "      <failure message=\"" << xml(failed.substr(0, failed.find('\n'))) << "\">"
            << xml(failed) << "</failure>\n";
      }
      const std::string warned = lines(findings, Level::warn);
      if (!warned.empty()) out << "      <system-out>" << xml(warned) << "</system-out>\n";
      out << "    </testcase>\n";
    };
    for (const auto& c : r.cases) {
      testcase(r.plugin_id + "." + c.c.macro, std::string(to_string(c.c.kind)) + ": " + c.c.name,
               c.elapsed_ms, c.findings);
    }
    testcase(r.plugin_id, "declared permissions", 0, r.plugin_findings);
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
}

}  // namespace vitrine::validate
