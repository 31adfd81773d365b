// panel_image: one Grafana panel as a PNG from the image renderer
// (/render/d-solo, scope grafana:render), checked to be a real PNG of the
// requested size, stored through assets/1 and referenced from an <img>.
// Grafana's placeholder image, its login page and its HTML error pages are
// reported as errors and never shown as the panel.
#include <array>
#include <string>
#include <vector>

#include "vitrine_plugin/entry.h"
#include "vitrine_plugin/html.h"
#include "vitrine_plugin/url.h"

namespace {

using namespace vitrine::pc;

constexpr uint32_t kTtlS = 300;
// The "image renderer not installed" placeholder Grafana serves instead of a
// rendering; its size is fixed, whatever size was asked for.
constexpr uint32_t kPlaceholderWidth = 500;
constexpr uint32_t kPlaceholderHeight = 250;

uint32_t crc32(const unsigned char* data, size_t len) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFU;
  for (size_t i = 0; i < len; ++i) c = table[(c ^ data[i]) & 0xFFU] ^ (c >> 8);
  return c ^ 0xFFFFFFFFU;
}

uint32_t be32(const unsigned char* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

// Checks the PNG signature, that the first chunk is a well-formed IHDR with a
// valid CRC, and that the file ends with IEND (a cut-off body does not).
// Returns an error text, or "" with width/height set.
std::string check_png(const std::string& body, uint32_t& width, uint32_t& height) {
  static const unsigned char kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  const auto* p = reinterpret_cast<const unsigned char*>(body.data());
  if (body.size() < 8 + 25 + 12 || std::memcmp(p, kSig, 8) != 0) return "it is not a PNG image";
  if (be32(p + 8) != 13 || std::memcmp(p + 12, "IHDR", 4) != 0) {
    return "the PNG has no IHDR header";
  }
  if (crc32(p + 12, 17) != be32(p + 29)) return "the PNG header is damaged (CRC mismatch)";
  width = be32(p + 16);
  height = be32(p + 20);
  static const unsigned char kIend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
  if (std::memcmp(p + body.size() - 12, kIend, 12) != 0) {
    return "the PNG is truncated (no IEND chunk at its end)";
  }
  return {};
}

// "env=prod&region=eu" -> [("env","prod"), ("region","eu")].
std::optional<std::vector<std::pair<std::string, std::string>>> parse_variables(
    const std::string& text, std::string& error) {
  std::vector<std::pair<std::string, std::string>> out;
  if (text.empty()) return out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t amp = text.find('&', start);
    if (amp == std::string::npos) amp = text.size();
    const std::string pair = text.substr(start, amp - start);
    const size_t eq = pair.find('=');
    const std::string name = pair.substr(0, eq);
    bool ok = eq != std::string::npos && !name.empty() && name.size() <= 64;
    for (char c : name) {
      ok = ok && (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_');
    }
    if (!ok) {
      error =
          "parameter 'variables' must be name=value pairs joined by '&', e.g. "
          "env=prod&region=eu";
      return std::nullopt;
    }
    out.emplace_back(name, pair.substr(eq + 1));
    start = amp + 1;
  }
  return out;
}

// Grafana's tz parameter takes an IANA name or "browser"; our "utc" is its
// "UTC", and "browser" means the page's zone because no browser is involved.
std::string grafana_tz(const Ctx& ctx, const std::string& param) {
  if (param.empty() || param == "utc" || param == "UTC") return "UTC";
  if (param == "browser") {
    const std::string page = from_vstr(ctx.req->timezone);
    return page.empty() || page == "browser" ? "UTC" : page;
  }
  return param;
}

Outcome render_panel(Ctx& ctx) {
  const std::string uid = ctx.params.text("dashboard_uid");
  if (!is_valid_uid(uid)) {
    return Outcome::fail(VITRINE_E_INVALID,
                         "parameter 'dashboard_uid' is required and must be a Grafana uid (1-40 "
                         "letters, digits, '-' or '_')");
  }
  const auto panel_id = ctx.params.integer("panel_id");
  if (!panel_id || *panel_id < 1) {
    return Outcome::fail(VITRINE_E_INVALID,
                         "parameter 'panel_id' is required: the number after viewPanel= in the "
                         "panel's URL");
  }
  const int64_t width = ctx.params.integer("width").value_or(1000);
  const int64_t height = ctx.params.integer("height").value_or(500);
  if (width < 100 || width > 4000) {
    return Outcome::fail(VITRINE_E_INVALID,
                         "parameter 'width' must be between 100 and 4000 pixels");
  }
  if (height < 100 || height > 3000) {
    return Outcome::fail(VITRINE_E_INVALID,
                         "parameter 'height' must be between 100 and 3000 pixels");
  }
  const std::string theme = ctx.params.text("theme", "light");
  if (theme != "light" && theme != "dark") {
    return Outcome::fail(VITRINE_E_INVALID, "parameter 'theme' must be light or dark");
  }
  const vitrine_param* pf = ctx.params.find("from");
  const vitrine_param* pt = ctx.params.find("to");
  const int64_t from = pf != nullptr ? pf->int_value : ctx.req->time_from_ms;
  const int64_t to = pt != nullptr ? pt->int_value : ctx.req->time_to_ms;
  if (from >= to) {
    return Outcome::fail(VITRINE_E_INVALID,
                         "the time range ends before it starts ('from' must be earlier than "
                         "'to'), e.g. from now-6h to now");
  }
  std::string error;
  const auto vars = parse_variables(ctx.params.text("variables"), error);
  if (!vars) return Outcome::fail(VITRINE_E_INVALID, error);

  Query q;
  q.add("panelId", static_cast<long long>(*panel_id));
  q.add("width", static_cast<long long>(width)).add("height", static_cast<long long>(height));
  q.add("theme", theme).add("tz", grafana_tz(ctx, ctx.params.text("timezone")));
  q.add("from", static_cast<long long>(from)).add("to", static_cast<long long>(to));
  for (const auto& [name, value] : *vars) q.add("var-" + name, value);
  // Grafana ignores the slug; "_" keeps the URL free of dashboard titles.
  const HttpResult r =
      ctx.caps.get(ctx.call, api_url(ctx.base_url, "/render/d-solo/" + pct(uid) + "/_", q),
                   {{"Accept", "image/png"}});
  if (auto f = http_failure(
          r, "dashboard UID '" + uid + "' not found in this space's Grafana; check the uid")) {
    return *f;
  }
  const bool html = r.content_type.find("html") != std::string::npos ||
                    (!r.body.empty() && r.body.find_first_not_of(" \t\r\n") != std::string::npos &&
                     r.body[r.body.find_first_not_of(" \t\r\n")] == '<');
  if (html) {
    return Outcome::fail(VITRINE_E_UPSTREAM,
                         "Grafana answered with an HTML page instead of the panel image (usually "
                         "its login page, or an error page); a space admin must check the "
                         "space's Grafana token and that the image renderer is installed");
  }
  uint32_t w = 0;
  uint32_t h = 0;
  if (std::string bad = check_png(r.body, w, h); !bad.empty()) {
    return Outcome::fail(VITRINE_E_UPSTREAM,
                         "Grafana's answer is not a usable panel image: " + bad);
  }
  if (w != static_cast<uint32_t>(width) || h != static_cast<uint32_t>(height)) {
    if (w == kPlaceholderWidth && h == kPlaceholderHeight) {
      return Outcome::fail(VITRINE_E_UPSTREAM,
                           "Grafana's image renderer is not installed (Grafana sent its "
                           "placeholder image); a Grafana admin must install the "
                           "grafana-image-renderer plugin or service");
    }
    return Outcome::fail(VITRINE_E_UPSTREAM,
                         "Grafana sent an image of " + std::to_string(w) + "x" + std::to_string(h) +
                             " pixels instead of the requested " + std::to_string(width) + "x" +
                             std::to_string(height) + "; it is not shown");
  }
  std::string reason;
  const auto url = ctx.caps.asset_put(ctx.call, "image/png", r.body, reason);
  if (!url) {
    return Outcome::fail(VITRINE_E_INTERNAL, "the panel image could not be stored: " + reason);
  }
  // The host's asset URL is either same-site ("/assets/...") or https.
  const bool url_ok = (url->size() > 1 && (*url)[0] == '/' && (*url)[1] != '/' &&
                       url->find_first_of("\"'<> \\") == std::string::npos) ||
                      (url->rfind("https://", 0) == 0 && is_safe_link(*url));
  if (!url_ok) {
    return Outcome::fail(VITRINE_E_INTERNAL, "the host returned an unusable asset URL");
  }
  const std::string link =
      ctx.base_url + "/d/" + pct(uid) + "?viewPanel=" + std::to_string(*panel_id);
  std::string out = "<figure class=\"vitrine-panel-image vitrine-theme-" + theme + "\">";
  out += "<img class=\"vitrine-panel-image-img\" src=\"" + esc_attr(*url) + "\" width=\"" +
         std::to_string(width) + "\" height=\"" + std::to_string(height) + "\" alt=\"" +
         esc_attr("Panel " + std::to_string(*panel_id) + " of Grafana dashboard " + uid) + "\">";
  out +=
      "<figcaption class=\"vitrine-panel-image-caption\"><a class=\"vitrine-panel-link\" href=\"" +
      esc_attr(link) + "\">Open in Grafana</a> <span class=\"vitrine-range\">" +
      esc(format_time(from, ctx.zone) + " – " + format_time(to, ctx.zone)) +
      "</span> <span class=\"vitrine-asof\">" + esc(ctx.as_of()) + "</span></figcaption></figure>";
  return Outcome::ok(std::move(out), kTtlS);
}

const char* const kKeys[] = {"panel-image", nullptr};
const MacroDef kMacros[] = {{"panel-image", &render_panel}};

}  // namespace

VITRINE_PC_DEFINE_PLUGIN("panel_image", "1.0.0", kKeys, kMacros)
