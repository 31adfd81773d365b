#include "server/net/request_parser.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <limits>

namespace vitrine::server::net {
namespace {

// ---------------------------------------------------------------------------
// Character classes (RFC 9110 5.6.2, RFC 3986), one table lookup per byte.

enum : std::uint8_t {
  kTchar = 1 << 0,   // token: ! # $ % & ' * + - . ^ _ ` | ~ DIGIT ALPHA
  kTarget = 1 << 1,  // request target: visible ASCII except '#'
  kValue = 1 << 2,   // field value: HT, SP, visible ASCII, obs-text
  kHost = 1 << 3,    // Host: reg-name / IP-literal / IPv4 and ":" port
  kDigit = 1 << 4,
};

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    std::uint8_t k = 0;
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    const bool visible = c > 0x20 && c < 0x7f;
    if (alpha || digit) k |= kTchar | kHost;
    if (digit) k |= kDigit;
    for (char s : std::string_view("!#$%&'*+-.^_`|~")) {
      if (c == s) k |= kTchar;
    }
    for (char s : std::string_view("-._~!$&'()*+,;=:[]%")) {
      if (c == s) k |= kHost;
    }
    if (visible && c != '#') k |= kTarget;
    // obs-text (0x80-0xFF) is allowed in values by RFC 9110; bytes are
    // passed through, never interpreted.
    if (c == '\t' || c == ' ' || visible || c >= 0x80) k |= kValue;
    t[static_cast<std::size_t>(c)] = k;
  }
  return t;
}

constexpr std::array<std::uint8_t, 256> kClasses = make_classes();

bool all_of_class(std::string_view s, std::uint8_t cls) {
  for (char c : s) {
    if ((kClasses[static_cast<unsigned char>(c)] & cls) == 0) return false;
  }
  return true;
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ---------------------------------------------------------------------------
// The rules. The id is stable (tests, logs and API error codes use it); the
// message tells the client what to send instead.

enum Rule : int {
  kRequestLineTooLong,
  kRequestLineMalformed,
  kMethodInvalid,
  kMethodNotImplemented,
  kTargetNotOriginForm,
  kTargetInvalid,
  kVersionNotSupported,
  kBareLf,
  kBareCr,
  kHeadTooLarge,
  kTooManyFields,
  kNameTooLong,
  kValueTooLong,
  kObsFold,
  kNoColon,
  kSpaceBeforeColon,
  kNameInvalid,
  kValueInvalid,
  kTransferEncoding,
  kLengthInvalid,
  kLengthConflict,
  kBodyTooLarge,
  kHostMissing,
  kHostDuplicate,
  kHostInvalid,
};

struct RuleInfo {
  int status;
  const char* id;
  const char* message;
};

constexpr RuleInfo kRules[] = {
    {414, "http-request-line-too-long", "the request line is longer than the limit"},
    {400, "http-request-line-malformed",
     "the request line must be METHOD SP /path SP HTTP/1.1, separated by single spaces"},
    {400, "http-method-invalid", "the method is not a token"},
    {501, "http-method-not-implemented",
     "the method is not supported; use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS"},
    {400, "http-target-not-origin-form",
     "the request target must be a path starting with '/' (no absolute URL, no '*')"},
    {400, "http-target-invalid",
     "the request target may hold visible ASCII only; percent-encode other bytes"},
    {505, "http-version-not-supported", "only HTTP/1.1 and HTTP/1.0 are supported"},
    {400, "http-bare-lf", "lines must end with CR LF; a bare LF is refused"},
    {400, "http-bare-cr", "lines must end with CR LF; a CR without LF is refused"},
    {431, "http-head-too-large", "the request head (request line and headers) is too large"},
    {431, "http-too-many-header-fields", "the request has too many header fields"},
    {431, "http-header-name-too-long", "a header name is longer than the limit"},
    {431, "http-header-value-too-long", "a header value is longer than the limit"},
    {400, "http-header-obs-fold",
     "a header line starts with whitespace (obsolete line folding is refused)"},
    {400, "http-header-no-colon", "a header line has no ':'"},
    {400, "http-header-space-before-colon", "whitespace between a header name and ':' is refused"},
    {400, "http-header-name-invalid", "a header name is empty or not a token"},
    {400, "http-header-value-invalid", "a header value holds a control character"},
    {411, "http-transfer-encoding-refused",
     "Transfer-Encoding is not accepted; send the body with Content-Length"},
    {400, "http-content-length-invalid", "Content-Length must be a single decimal number"},
    {400, "http-content-length-conflict", "the request has Content-Length fields that disagree"},
    {413, "http-body-too-large", "the request body exceeds the limit; send a smaller body"},
    {400, "http-host-missing", "an HTTP/1.1 request must have a Host header"},
    {400, "http-host-duplicate", "the request has more than one Host header"},
    {400, "http-host-invalid", "the Host header is not a host name or address with a port"},
};

static_assert(std::size(kRules) == kHostInvalid + 1, "one entry per rule");

constexpr std::string_view kMethods[] = {"GET",   "HEAD",   "POST",   "PUT",
                                         "PATCH", "DELETE", "OPTIONS"};

// Sets the connection flags from one Connection field (a list of tokens).
void connection_options(std::string_view value, bool& close, bool& keep_alive) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    const std::string_view item = trim_ows(value.substr(0, comma));
    if (iequals(item, "close")) close = true;
    if (iequals(item, "keep-alive")) keep_alive = true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

bool is_token(std::string_view s) { return !s.empty() && all_of_class(s, kTchar); }

bool is_field_value(std::string_view s) { return all_of_class(s, kValue); }

RequestParser::RequestParser(const ParseLimits& limits) : limits_(limits) { reset(); }

void RequestParser::reset() {
  phase_ = Phase::request_line;
  final_ = ParseResult{};
  // Keeps a typical line's capacity for the next request, but not the
  // capacity a long header left behind on an idle connection.
  if (line_.capacity() > 16 * 1024) line_ = std::string();
  line_.clear();
  colon_ = std::string::npos;
  cr_ = false;
  started_ = false;
  head_bytes_ = 0;
  fields_ = 0;
  minor_ = 1;
  host_seen_ = false;
  length_seen_ = false;
  length_text_.clear();
  length_ = 0;
  connection_close_ = false;
  connection_keep_alive_ = false;
  expect_continue_ = false;
  body_left_ = 0;
  request_ = Request{};
}

bool RequestParser::fail(ParseResult& result, int rule) {
  const RuleInfo& info = kRules[rule];
  result.state = ParseState::error;
  result.error = ParseError{info.status, info.id, info.message};
  phase_ = Phase::done;
  final_ = result;
  final_.consumed = 0;
  return false;
}

ParseResult RequestParser::feed(std::string_view bytes) {
  if (phase_ == Phase::done) return final_;
  ParseResult result;
  if (!bytes.empty()) started_ = true;
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (phase_ == Phase::body) {
      const std::size_t take = std::min(body_left_, bytes.size() - i);
      request_.body.append(bytes.data() + i, take);
      body_left_ -= take;
      i += take;
      if (body_left_ == 0) break;
      continue;
    }
    const char c = bytes[i++];
    result.consumed = i;
    if (!head_byte(c, result)) return result;
  }
  result.consumed = i;
  if (phase_ == Phase::body && body_left_ == 0) {
    phase_ = Phase::done;
    result.state = ParseState::complete;
    result.keep_alive =
        minor_ == 1 ? !connection_close_ : connection_keep_alive_ && !connection_close_;
    result.version_minor = minor_;
    result.expect_continue = false;
    final_ = result;
    final_.consumed = 0;
  }
  return result;
}

// One byte of the head. False when the request failed.
bool RequestParser::head_byte(char c, ParseResult& result) {
  if (++head_bytes_ > limits_.max_head) return fail(result, kHeadTooLarge);
  if (cr_) {
    cr_ = false;
    if (c != '\n') return fail(result, kBareCr);
    return end_of_line(result);
  }
  if (c == '\r') {
    cr_ = true;
    return true;
  }
  if (c == '\n') return fail(result, kBareLf);
  line_.push_back(c);
  // Length limits are checked as bytes arrive, so an endless line is cut off
  // at its limit rather than buffered up to the head limit.
  if (phase_ == Phase::request_line) {
    if (line_.size() > limits_.max_request_line) return fail(result, kRequestLineTooLong);
  } else {
    if (c == ':' && colon_ == std::string::npos) colon_ = line_.size() - 1;
    if (colon_ == std::string::npos && line_.size() > limits_.max_header_name) {
      return fail(result, kNameTooLong);
    }
  }
  return true;
}

// A CRLF ended line_. False when the request failed.
bool RequestParser::end_of_line(ParseResult& result) {
  const std::string_view line(line_);
  bool ok = true;
  if (phase_ == Phase::request_line) {
    // RFC 9112 2.2: empty lines before the request line are ignored (they
    // still count against the head limit).
    if (!line.empty()) ok = request_line(line, result);
  } else if (line.empty()) {
    ok = end_of_head(result);
  } else {
    ok = field_line(line, result);
  }
  line_.clear();
  colon_ = std::string::npos;
  return ok;
}

bool RequestParser::request_line(std::string_view line, ParseResult& result) {
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos ||
      sp1 == 0 || sp2 == sp1 + 1 || sp2 + 1 == line.size()) {
    return fail(result, kRequestLineMalformed);
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return fail(result, kMethodInvalid);
  bool allowed = false;
  for (std::string_view m : kMethods) allowed = allowed || m == method;
  if (!allowed) return fail(result, kMethodNotImplemented);
  request_.method = method;
  // Only origin-form: absolute-form would make this host a proxy, and '*'
  // (OPTIONS *) and authority-form (CONNECT) address no resource here.
  if (target.front() != '/') return fail(result, kTargetNotOriginForm);
  if (!all_of_class(target, kTarget)) return fail(result, kTargetInvalid);
  const auto q = target.find('?');
  request_.path = target.substr(0, q);
  if (q != std::string_view::npos) request_.query = target.substr(q + 1);
  if (version == "HTTP/1.1") {
    minor_ = 1;
  } else if (version == "HTTP/1.0") {
    minor_ = 0;
  } else {
    return fail(result, kVersionNotSupported);
  }
  phase_ = Phase::fields;
  return true;
}

bool RequestParser::field_line(std::string_view line, ParseResult& result) {
  if (++fields_ > limits_.max_header_fields) return fail(result, kTooManyFields);
  const std::size_t name_end = colon_ == std::string::npos ? line.size() : colon_;
  if (name_end > limits_.max_header_name) return fail(result, kNameTooLong);
  // A line starting with whitespace continued the previous field in
  // HTTP/1.0 days; proxies disagree on how to join it, so it is refused.
  if (line.front() == ' ' || line.front() == '\t') return fail(result, kObsFold);
  if (colon_ == std::string::npos) return fail(result, kNoColon);
  const std::string_view name = line.substr(0, colon_);
  // "Name :" is refused (RFC 9112 5.1): some proxies would strip the space
  // and see a different field than we do.
  if (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
    return fail(result, kSpaceBeforeColon);
  }
  if (!is_token(name)) return fail(result, kNameInvalid);
  const std::string_view value = trim_ows(line.substr(colon_ + 1));
  if (value.size() > limits_.max_header_value) return fail(result, kValueTooLong);
  if (!is_field_value(value)) return fail(result, kValueInvalid);

  std::string key(name);
  for (char& ch : key) ch = ascii_lower(ch);

  if (key == "transfer-encoding") {
    // Chunked (or any coded) request bodies are not accepted at all: a
    // second way to frame a body is the classic smuggling surface (a proxy
    // that frames by Content-Length and a server that frames by chunks
    // disagree on where the next request starts), and the clients of this
    // API and UI (browsers, curl, the CLI) send Content-Length.
    return fail(result, kTransferEncoding);
  }
  if (key == "content-length") {
    // 1*DIGIT: no sign, no list ("5, 5"), no spaces inside.
    if (value.empty() || !all_of_class(value, kDigit)) return fail(result, kLengthInvalid);
    if (length_seen_) {
      if (value != length_text_) return fail(result, kLengthConflict);
      return true;  // an identical duplicate is harmless
    }
    length_seen_ = true;
    length_text_ = value;
    std::uint64_t n = 0;
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    for (char d : value) {
      const auto digit = static_cast<std::uint64_t>(d - '0');
      n = n > (kMax - digit) / 10 ? kMax : n * 10 + digit;  // saturates: too large anyway
    }
    length_ = n;
  } else if (key == "host") {
    if (host_seen_) return fail(result, kHostDuplicate);
    if (!all_of_class(value, kHost)) return fail(result, kHostInvalid);
    host_seen_ = true;
  } else if (key == "connection") {
    connection_options(value, connection_close_, connection_keep_alive_);
  } else if (key == "expect") {
    expect_continue_ = expect_continue_ || iequals(value, "100-continue");
  }

  auto [it, inserted] = request_.headers.emplace(std::move(key), value);
  // Cookie may come split over several fields; any other duplicate keeps its
  // first value, so a second Authorization cannot override the first.
  // X-Forwarded-For is a list whose right end is the trusted part: a proxy
  // that adds a field of its own (HAProxy) must not be shadowed by the
  // client's, so its fields are joined in order (RFC 9110 5.3).
  if (!inserted && it->first == "cookie") {
    it->second += "; ";
    it->second += value;
  } else if (!inserted && iequals(it->first, "x-forwarded-for")) {
    it->second += ", ";
    it->second += value;
  }
  return true;
}

bool RequestParser::end_of_head(ParseResult& result) {
  if (minor_ == 1 && !host_seen_) return fail(result, kHostMissing);
  // Refused before a byte of the body is read.
  if (length_ > limits_.max_body_bytes) return fail(result, kBodyTooLarge);
  body_left_ = static_cast<std::size_t>(length_);
  // Grows with the bytes that actually arrive: a head alone must not make a
  // connection hold max_body_bytes.
  request_.body.reserve(std::min<std::size_t>(body_left_, 64 * 1024));
  phase_ = Phase::body;
  result.expect_continue = expect_continue_ && minor_ == 1 && body_left_ > 0;
  return true;
}

}  // namespace vitrine::server::net
