// A strict, incremental HTTP/1.1 request parser (RFC 9110, RFC 9112) for the
// host's own listener (http_listener.h). Bytes are fed as they arrive; the
// answer is "need more", "complete" (the request and how many of the fed
// bytes it took) or "error" (status, a stable rule id and a message).
//
// Strict on purpose: Vitrine usually sits behind a reverse proxy, and any
// place where the proxy and this parser could disagree on where a request
// ends (bare LF, obs-fold, chunked bodies, conflicting Content-Length) is a
// request smuggling hole. Everything outside the grammar below is refused,
// never repaired.
//
//   request-line = method SP origin-form SP ("HTTP/1.1" / "HTTP/1.0") CRLF
//   field-line   = token ":" OWS field-value OWS CRLF
//   head         = *CRLF request-line *field-line CRLF
//   body         = exactly Content-Length bytes (none without Content-Length)
//
// Rules and their ids are listed in request_parser.cpp (kRules); tests are
// named after them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/http.h"

namespace vitrine::server::net {

struct ParseLimits {
  std::size_t max_request_line = 16 * 1024;  // bytes without CRLF; beyond: 414
  std::size_t max_header_fields = 100;       // beyond: 431
  std::size_t max_header_name = 256;         // beyond: 431
  std::size_t max_header_value = 8 * 1024;   // after trimming OWS; beyond: 431
  std::size_t max_head = 64 * 1024;          // everything up to the empty line; beyond: 431
  std::size_t max_body_bytes = 1 << 20;      // a larger Content-Length: 413, body unread
};

struct ParseError {
  int status = 0;
  std::string rule;     // stable id, e.g. "http-bare-lf"
  std::string message;  // for the client: what was wrong and what to send instead
};

enum class ParseState { need_more, complete, error };

struct ParseResult {
  ParseState state = ParseState::need_more;
  // Bytes of this feed() that were taken: all of them for need_more; for
  // complete, up to the end of the request (the rest starts the next,
  // pipelined request); for error, up to the offending byte.
  std::size_t consumed = 0;
  // complete: the connection may carry another request (HTTP/1.1 unless
  // "Connection: close"; HTTP/1.0 only with "Connection: keep-alive").
  bool keep_alive = false;
  int version_minor = 1;  // complete: 1 for HTTP/1.1, 0 for HTTP/1.0
  // need_more: the head just completed, a body is announced and the client
  // sent "Expect: 100-continue"; it waits for an interim "100 Continue".
  bool expect_continue = false;
  ParseError error;  // error only
};

class RequestParser {
 public:
  explicit RequestParser(const ParseLimits& limits = {});

  // Parses as far as `bytes` go. After complete or error the parser must be
  // reset() before the next request; until then feed() repeats the final
  // state and takes nothing.
  ParseResult feed(std::string_view bytes);

  // complete: the request (move it out, then reset()). error: what was
  // parsed before the error. The method is set only once it passed the
  // allowlist and the path only once it passed the target rules, so both
  // are safe to log and to use as metric labels.
  Request& request() { return request_; }

  // True once any byte of the current request has been fed.
  bool started() const { return started_; }

  // Ready for the next request on the same connection.
  void reset();

 private:
  enum class Phase { request_line, fields, body, done };

  bool head_byte(char c, ParseResult& result);
  bool end_of_line(ParseResult& result);
  bool request_line(std::string_view line, ParseResult& result);
  bool field_line(std::string_view line, ParseResult& result);
  bool end_of_head(ParseResult& result);
  bool fail(ParseResult& result, int rule);

  ParseLimits limits_;
  Phase phase_ = Phase::request_line;
  ParseResult final_;      // repeated by feed() once complete or failed
  std::string line_;       // the current line so far, without CRLF
  std::size_t colon_ = 0;  // position of the first ':' in line_; npos: none yet
  bool cr_ = false;        // the previous byte was CR; the next must be LF
  bool started_ = false;
  std::size_t head_bytes_ = 0;
  std::size_t fields_ = 0;
  int minor_ = 1;
  bool host_seen_ = false;
  bool length_seen_ = false;
  std::string length_text_;  // the first Content-Length value, for duplicates
  std::uint64_t length_ = 0;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  bool expect_continue_ = false;
  std::size_t body_left_ = 0;
  Request request_;
};

// RFC 9110 token (header names, methods): 1*tchar.
bool is_token(std::string_view s);
// A field value the listener may send or accept: no control bytes but HT.
bool is_field_value(std::string_view s);

}  // namespace vitrine::server::net
