#include "pages/grafana_link.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <regex>

#include "egress/url.h"
#include "plugins/date_math.h"

namespace vitrine::pages {
namespace {

LinkResult refuse(std::string rule, std::string message) {
  LinkResult r;
  r.rule = std::move(rule);
  r.message = std::move(message);
  return r;
}

constexpr std::string_view kWhatToPaste =
    "paste the address of a dashboard (.../d/UID/slug) or of a panel (open the panel with View "
    "and copy the address, .../d/UID/slug?viewPanel=N)";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_uid(std::string_view s) {
  if (s.empty() || s.size() > 40) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::optional<int64_t> parse_int(std::string_view s, int64_t min, int64_t max) {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v < min || v > max) return std::nullopt;
  return v;
}

// The bytes a browser leaves unencoded in a copied query that the strict
// parser refuses raw ('|', '{', '"', non-ASCII, ...). Encoding them first
// gives them exactly one reading; the decoded values are then checked like
// every other value, so a quote still ends up refused as unsafe.
std::string encode_query_bytes(std::string_view query) {
  static constexpr std::string_view kRawOk = "-._~!$&'()*+,=:@/?%";
  std::string out;
  for (char c : query) {
    const auto u = static_cast<unsigned char>(c);
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum || kRawOk.find(c) != std::string_view::npos) {
      out += c;
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// Query components as Grafana's front end reads them (URLSearchParams):
// '+' is a space, %XX a byte. The strict parser has validated every escape.
std::string decode_component(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// Rule link-unsafe-value: a value lands inside the macro block, so nothing
// in it may end the line (CR, LF, any control byte), open or close a YAML
// quote or escape (" ' \), or look like a fence (` ~).
std::optional<LinkResult> check_safe(std::string_view name, std::string_view value) {
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"' || c == '\'' || c == '\\' || c == '`' || c == '~') {
      return refuse("link-unsafe-value",
                    "the link's '" + std::string(name) +
                        "' contains a line break, control character, quote, backslash, '`' or "
                        "'~', which cannot be written into a macro block safely; change the "
                        "value in Grafana (or remove it from the link) and paste the link again");
    }
  }
  if (!valid_utf8(value)) {
    return refuse("link-unsafe-value", "the link's '" + std::string(name) +
                                           "' is not valid UTF-8 text once decoded; copy the "
                                           "link again from Grafana's address bar");
  }
  return std::nullopt;
}

// Grafana's time values, read by the same grammar as the host's parameter
// binder (plugins/date_math.h): relative times (now-6h, now/d, now-1M) and
// ISO times are kept as written; epoch milliseconds, which Grafana writes
// for absolute ranges, become ISO 8601 UTC text so the page says which
// moment it shows (milliseconds kept when there are any).
std::optional<std::string> to_binder_time(const std::string& v) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const auto ms = plugins::parse_time_ms(v, now);
  if (!ms) return std::nullopt;
  if (v.find_first_not_of("0123456789") != std::string::npos) return v;
  const std::time_t secs = static_cast<std::time_t>(*ms / 1000);
  std::tm tm{};
  if (gmtime_r(&secs, &tm) == nullptr) return std::nullopt;
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (*ms % 1000 != 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(*ms % 1000));
    out += frac;
  }
  return out + "Z";
}

// panel-image's `timezone` pattern (manifests/panel_image.yml).
bool is_timezone(const std::string& v) {
  static const std::regex kZone("browser|utc|[A-Za-z]+(/[A-Za-z0-9_+-]+){1,2}");
  return v.size() <= 64 && std::regex_match(v, kZone);
}

bool is_var_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Grafana panel ids: "4", or "panel-4" in the scenes-based dashboards of
// Grafana 11. A repeated copy ("panel-4-clone-1") has no id of its own.
std::optional<int64_t> parse_panel_id(std::string_view v) {
  if (v.rfind("panel-", 0) == 0) v.remove_prefix(6);
  return parse_int(v, 1, 2147483647);
}

enum class Shape { dashboard, view_panel, solo_panel };

struct Located {
  Shape shape = Shape::dashboard;
  std::string uid;
};

// Finds .../d/UID[/slug] or .../d-solo/UID[/slug] at the end of the path;
// whatever comes before is the sub-path Grafana is served under.
std::optional<LinkResult> locate(const std::vector<std::string>& segs, Located& out) {
  std::vector<std::size_t> marks;
  const std::size_t n = segs.size();
  for (std::size_t back : {2u, 3u}) {
    if (n >= back && (segs[n - back] == "d" || segs[n - back] == "d-solo"))
      marks.push_back(n - back);
  }
  if (marks.size() != 1) {
    for (const auto& s : segs) {
      if (s == "goto") {
        return refuse("link-unknown-shape",
                      "this is a Grafana short link (/goto/...); open it in the browser and paste "
                      "the address it leads to");
      }
      if (s == "explore" || s == "alerting" || s == "dashboards" || s == "snapshot") {
        return refuse("link-unknown-shape", "the link points to Grafana's '" + s +
                                                "' page, which has no macro; " +
                                                std::string(kWhatToPaste));
      }
    }
    return refuse("link-unknown-shape",
                  marks.empty() ? "the link is not a Grafana dashboard or panel address; " +
                                      std::string(kWhatToPaste)
                                : "the link's path can be read as two different dashboards; " +
                                      std::string(kWhatToPaste));
  }
  const std::size_t i = marks.front();
  const bool render = i > 0 && segs[i - 1] == "render";
  if (render && segs[i] == "d") {
    return refuse("link-unknown-shape",
                  "the link renders a whole dashboard as an image, which no macro shows; paste "
                  "the dashboard's own address for a card, or a panel's for its image");
  }
  out.uid = segs[i + 1];
  if (!is_uid(out.uid)) {
    return refuse("link-unknown-shape", "'" + out.uid.substr(0, 60) +
                                            "' is not a dashboard uid (1-40 letters, digits, "
                                            "'-' or '_'); " +
                                            std::string(kWhatToPaste));
  }
  out.shape = segs[i] == "d-solo" ? Shape::solo_panel : Shape::dashboard;
  return std::nullopt;
}

struct Query {
  std::vector<std::pair<std::string, std::string>> pairs;  // decoded, in order
};

Query split_query(std::string_view q) {
  Query out;
  while (!q.empty()) {
    const std::size_t amp = q.find('&');
    const std::string_view part = q.substr(0, amp);
    if (!part.empty()) {
      const std::size_t eq = part.find('=');
      out.pairs.emplace_back(
          decode_component(part.substr(0, eq)),
          eq == std::string_view::npos ? "" : decode_component(part.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

bool yaml_plain_ok(std::string_view v) {
  if (v.empty()) return false;
  const char f = v.front();
  if (!((f >= 'a' && f <= 'z') || (f >= 'A' && f <= 'Z'))) return false;
  for (char c : v) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '/' || c == '+' || c == '.';
    if (!ok) return false;
  }
  // YAML 1.1 words yaml-cpp reads as booleans or null.
  static constexpr std::array<std::string_view, 9> kWords = {"y",   "n",    "yes",   "no",  "on",
                                                             "off", "true", "false", "null"};
  const std::string l = lower(v);
  for (auto w : kWords) {
    if (l == w) return false;
  }
  return true;
}

bool all_digits(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::string MacroBlock::text(std::string_view eol) const {
  std::string out = "```" + key;
  for (const auto& [name, value] : params) {
    out += eol;
    out += name + ": ";
    // Integers stay plain; every other value is plain only when YAML reads
    // it back as the same string. Values never hold '"' or '\' (checked by
    // link-unsafe-value), so wrapping in double quotes needs no escapes.
    const bool integer = name == "panel_id" || name == "width" || name == "height";
    out += (integer && all_digits(value)) || yaml_plain_ok(value) ? value : "\"" + value + "\"";
  }
  out += eol;
  out += "```";
  return out;
}

LinkResult convert_grafana_link(std::string_view url, std::string_view grafana_origin) {
  const egress::UrlResult space = egress::parse_origin(grafana_origin);
  if (grafana_origin.empty() || !space.ok) {
    return refuse("link-space-not-connected",
                  "this space is not connected to Grafana, so a link cannot be checked against "
                  "it; a space admin connects the space first (vitrine spaces connect)");
  }
  if (url.size() > egress::kMaxUrlLength) {
    return refuse("link-unsafe-value", "the link is longer than " +
                                           std::to_string(egress::kMaxUrlLength) +
                                           " characters; remove variables you do not need");
  }
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '`') {
      return refuse("link-unsafe-value",
                    "the link contains a space, line break, control character or '`'; paste "
                    "one link exactly as Grafana's address bar shows it");
    }
  }
  const std::size_t sep = url.find("://");
  const std::string scheme = lower(url.substr(0, sep == std::string_view::npos ? 0 : sep));
  if (sep == std::string_view::npos || (scheme != "http" && scheme != "https")) {
    return refuse("link-not-grafana", "this is not an http:// or https:// link to Grafana; " +
                                          std::string(kWhatToPaste));
  }
  std::string_view rest = url.substr(sep + 3);
  const std::size_t hash = rest.find('#');
  std::vector<std::string> notes;
  if (hash != std::string_view::npos) {
    notes.push_back("the '#...' part of the link is not carried: Grafana does not use it");
    rest = rest.substr(0, hash);
  }
  const std::size_t auth_end = rest.find_first_of("/?");
  const std::string authority = lower(rest.substr(0, auth_end));

  // Rule link-other-origin. The macros fetch from the space's Grafana with
  // the space's token, never from the host in the link. A link to another
  // Grafana would silently show whatever dashboard has the same uid on the
  // space's own stack (or nothing), so the author would see different data
  // than they pasted; and honouring the link's host would let a page steer
  // the space's requests elsewhere. The comparison is on the exact,
  // lowercase authority text, so userinfo, '%' or backslash tricks never
  // compare equal to a canonical origin.
  std::string link_origin = scheme + "://" + authority;
  if (scheme == "https" && link_origin.size() > 4 &&
      link_origin.compare(link_origin.size() - 4, 4, ":443") == 0) {
    link_origin.resize(link_origin.size() - 4);
  }
  if (scheme == "http" && link_origin.size() > 3 &&
      link_origin.compare(link_origin.size() - 3, 3, ":80") == 0) {
    link_origin.resize(link_origin.size() - 3);
  }
  const std::string space_origin = space.url.origin();
  if (link_origin != space_origin) {
    return refuse("link-other-origin",
                  "the link points to " + link_origin.substr(0, 120) +
                      ", but this space shows Grafana from " + space_origin +
                      "; macros always read from the space's own Grafana, so paste a link "
                      "copied from " +
                      space_origin);
  }

  std::string rebuilt = "https://" + std::string(rest);
  const std::size_t qpos = rebuilt.find('?');
  if (qpos != std::string::npos) {
    rebuilt = rebuilt.substr(0, qpos + 1) + encode_query_bytes(rebuilt.substr(qpos + 1));
  }
  const egress::UrlResult parsed = egress::parse_url(rebuilt);
  if (!parsed.ok) {
    return refuse("link-not-grafana", "the link is not a well-formed Grafana address (" +
                                          parsed.reason + " [" + parsed.rule + "]); copy it " +
                                          "again from Grafana's address bar");
  }

  std::vector<std::string> segs;
  std::string_view path = parsed.url.path;
  while (!path.empty()) {
    path.remove_prefix(1);
    const std::size_t slash = path.find('/');
    segs.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  if (!segs.empty() && segs.back().empty()) segs.pop_back();  // a trailing '/'
  Located where;
  if (auto err = locate(segs, where)) return *err;

  // Query parameters, decoded. Each carried one may appear once.
  std::optional<std::string> panel, from, to, theme, zone, width, height;
  std::vector<std::pair<std::string, std::string>> vars;  // var-NAME=VALUE, in order
  const Query query = split_query(parsed.url.query);
  auto once = [&](std::optional<std::string>& slot, const std::string& name,
                  const std::string& value) -> std::optional<LinkResult> {
    if (slot) {
      return refuse("link-bad-value",
                    "the link sets '" + name + "' twice; keep one value and paste the link again");
    }
    slot = value;
    return std::nullopt;
  };
  const char* panel_param = where.shape == Shape::solo_panel ? "panelId" : "viewPanel";
  for (const auto& [name, value] : query.pairs) {
    if (auto err = check_safe(name, name)) return *err;
    if (auto err = check_safe(name, value)) return *err;
    std::optional<LinkResult> err;
    if (name == panel_param || (where.shape == Shape::dashboard && name == "editPanel")) {
      err = once(panel, name, value);
    } else if (name == "from") {
      err = once(from, name, value);
    } else if (name == "to") {
      err = once(to, name, value);
    } else if (name == "theme") {
      err = once(theme, name, value);
    } else if (name == "tz" || name == "timezone") {
      err = once(zone, name, value);
    } else if (name == "width") {
      err = once(width, name, value);
    } else if (name == "height") {
      err = once(height, name, value);
    } else if (name.rfind("var-", 0) == 0) {
      vars.emplace_back(name.substr(4), value);
    } else if (name == "orgId") {
      notes.push_back("orgId=" + value.substr(0, 20) +
                      " not carried: the space's token decides the organization");
    } else {
      notes.push_back("'" + name.substr(0, 64) + "' not carried: the macro has no such parameter");
    }
    if (err) return *err;
  }

  LinkResult r;
  r.ok = true;
  if (where.shape == Shape::dashboard && !panel) {
    r.block.key = "dashboard";
    r.block.params.emplace_back("dashboard", where.uid);
    const std::pair<const char*, bool> dropped[] = {
        {"from", from.has_value()}, {"to", to.has_value()},       {"theme", theme.has_value()},
        {"tz", zone.has_value()},   {"width", width.has_value()}, {"height", height.has_value()},
        {"var-*", !vars.empty()}};
    for (const auto& [name, set] : dropped) {
      if (set) {
        notes.push_back(std::string("'") + name +
                        "' not carried: the dashboard macro shows the dashboard itself, not a "
                        "time range, view or variables");
      }
    }
    r.notes = std::move(notes);
    return r;
  }
  if (!panel) {
    return refuse("link-bad-panel",
                  "the d-solo link names no panel (panelId=N); use Share > Embed on the panel "
                  "and paste that link, or paste the panel's View address (?viewPanel=N)");
  }
  const auto panel_id = parse_panel_id(*panel);
  if (!panel_id) {
    return refuse("link-bad-panel",
                  "'" + panel->substr(0, 40) +
                      "' is not a panel id (a number, or panel-N); a repeated panel's copy has "
                      "no id of its own, so open the original panel with View and paste that "
                      "address");
  }
  r.block.key = "panel-image";
  r.block.params.emplace_back("dashboard_uid", where.uid);
  r.block.params.emplace_back("panel_id", std::to_string(*panel_id));
  if (width) {
    if (!parse_int(*width, 100, 4000)) {
      return refuse("link-bad-value", "width=" + width->substr(0, 20) +
                                          " is outside 100-4000 pixels; remove width from the "
                                          "link or set it in the macro afterwards");
    }
    r.block.params.emplace_back("width", *width);
  }
  if (height) {
    if (!parse_int(*height, 100, 3000)) {
      return refuse("link-bad-value", "height=" + height->substr(0, 20) +
                                          " is outside 100-3000 pixels; remove height from the "
                                          "link or set it in the macro afterwards");
    }
    r.block.params.emplace_back("height", *height);
  }
  if (theme) {
    if (*theme != "light" && *theme != "dark") {
      return refuse("link-bad-value", "theme=" + theme->substr(0, 20) +
                                          " is not light or dark; remove theme from the link");
    }
    r.block.params.emplace_back("theme", *theme);
  }
  if (zone) {
    const std::string z = *zone == "UTC" ? "utc" : *zone;
    if (!is_timezone(z)) {
      return refuse("link-bad-value",
                    "time zone '" + zone->substr(0, 64) +
                        "' is not browser, utc or an IANA name such as Europe/Berlin; change it "
                        "in the dashboard settings or remove tz from the link");
    }
    r.block.params.emplace_back("timezone", z);
  }
  for (auto [slot, name] : {std::pair{&from, "from"}, std::pair{&to, "to"}}) {
    if (!*slot) continue;
    const auto time = to_binder_time(**slot);
    if (!time) {
      return refuse("link-bad-value",
                    std::string(name) + "=" + (*slot)->substr(0, 40) +
                        " is not a time Grafana or a macro reads (now-6h, now-1d/d, "
                        "2024-05-01T00:00:00Z, epoch milliseconds); pick the range again in "
                        "Grafana's time picker and paste the link again");
    }
    r.block.params.emplace_back(name, *time);
  }
  std::string variables;
  for (const auto& [var, value] : vars) {
    if (!is_var_name(var)) {
      return refuse("link-bad-value",
                    "the variable '" + var.substr(0, 64) +
                        "' has a name the panel-image macro cannot pass (1-64 letters, digits "
                        "or '_'); remove it from the link or rename it in Grafana");
    }
    if (value.find('&') != std::string::npos) {
      return refuse("link-bad-value",
                    "the value of variable '" + var +
                        "' contains '&', which the panel-image macro's 'variables' cannot "
                        "hold; pick another value in Grafana and paste the link again");
    }
    variables += (variables.empty() ? "" : "&") + var + "=" + value;
  }
  if (!variables.empty()) {
    if (variables.size() > 2048) {
      return refuse("link-bad-value",
                    "the link's variables are longer than the 2048 characters the panel-image "
                    "macro takes; select fewer values in Grafana");
    }
    r.block.params.emplace_back("variables", variables);
  }
  r.notes = std::move(notes);
  return r;
}

namespace {

struct Fence {
  char ch = 0;
  std::size_t len = 0;
};

// A CommonMark fence line: up to three spaces, then three or more '`' or
// '~'. Returns the run, or nothing.
std::optional<Fence> fence_of(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && i < 3 && line[i] == ' ') ++i;
  if (i >= line.size() || (line[i] != '`' && line[i] != '~')) return std::nullopt;
  const char ch = line[i];
  std::size_t n = 0;
  while (i + n < line.size() && line[i + n] == ch) ++n;
  if (n < 3) return std::nullopt;
  return Fence{ch, n};
}

bool closes(const Fence& open, std::string_view line) {
  const auto f = fence_of(line);
  if (!f || f->ch != open.ch || f->len < open.len) return false;
  const std::size_t start = line.find(open.ch);
  for (char c : line.substr(start + f->len)) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

LineResult refused(std::string rule, std::string message) {
  LineResult r;
  r.rule = std::move(rule);
  r.message = std::move(message);
  return r;
}

}  // namespace

LineResult convert_link_line(std::string_view markdown, std::size_t line,
                             std::string_view grafana_origin) {
  // Walk the lines up to the target, tracking open fenced code blocks.
  std::size_t start = 0;
  std::optional<Fence> open;
  for (std::size_t n = 1; n < line; ++n) {
    const std::size_t nl = markdown.find('\n', start);
    if (nl == std::string_view::npos) {
      start = std::string_view::npos;
      break;
    }
    std::string_view text = markdown.substr(start, nl - start);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (open) {
      if (closes(*open, text)) open.reset();
    } else {
      open = fence_of(text);
    }
    start = nl + 1;
  }
  if (line == 0 || start == std::string_view::npos || start > markdown.size() ||
      (start == markdown.size() && line > 1)) {
    return refused("link-line-range",
                   "the document has no line " + std::to_string(line) + "; nothing was converted");
  }
  const std::size_t nl = markdown.find('\n', start);
  const std::size_t end = nl == std::string_view::npos ? markdown.size() : nl;
  std::string_view text = markdown.substr(start, end - start);
  std::string eol = nl == std::string_view::npos ? "" : "\n";
  if (!text.empty() && text.back() == '\r') {
    text.remove_suffix(1);
    if (!eol.empty()) eol = "\r\n";
  }
  const std::size_t content_end = start + text.size();  // the line ending is kept as it was
  if (open || fence_of(text)) {
    return refused("link-line-in-code-block",
                   "line " + std::to_string(line) +
                       " is inside a code block, where a link stays text; paste the link "
                       "on a line of its own outside the block");
  }
  std::size_t lead = 0;
  while (lead < text.size() && text[lead] == ' ') ++lead;
  if (lead >= 4 || (lead < text.size() && text[lead] == '\t')) {
    return refused("link-line-in-code-block",
                   "line " + std::to_string(line) +
                       " is indented as code; remove the indentation before the link");
  }
  std::string_view link = text.substr(lead);
  while (!link.empty() && (link.back() == ' ' || link.back() == '\t')) link.remove_suffix(1);
  if (link.size() >= 2 && link.front() == '<' && link.back() == '>') {
    link = link.substr(1, link.size() - 2);
  }
  if (link.empty() || link.find_first_of(" \t") != std::string_view::npos) {
    return refused("link-line-not-alone",
                   "line " + std::to_string(line) +
                       " holds more than one link; put the Grafana link on a line of its "
                       "own and convert that line");
  }
  LinkResult converted = convert_grafana_link(link, grafana_origin);
  if (!converted.ok) return refused(converted.rule, converted.message);

  // The block's own lines use the document's line ending: the replaced
  // line's, or for a last line without one, the first one in the document.
  std::string block_eol = eol;
  if (block_eol.empty()) {
    const std::size_t first = markdown.find('\n');
    block_eol =
        first != std::string_view::npos && first > 0 && markdown[first - 1] == '\r' ? "\r\n" : "\n";
  }
  LineResult r;
  r.ok = true;
  r.document.reserve(markdown.size() + 256);
  r.document.append(markdown.substr(0, start));
  r.document.append(converted.block.text(block_eol));
  r.document.append(markdown.substr(content_end));
  r.notes = std::move(converted.notes);
  return r;
}

}  // namespace vitrine::pages
