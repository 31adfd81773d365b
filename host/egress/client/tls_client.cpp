#include "egress/client/tls_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <string_view>

namespace vitrine::egress::client {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

// ------------------------------------------------------------ results

ExchangeResult fail(Outcome o, std::string rule, std::string reason) {
  ExchangeResult r;
  r.outcome = o;
  r.rule = std::move(rule);
  r.reason = std::move(reason);
  return r;
}

// The verification errors we name separately. Everything else is
// egress-tls-verify-failed with OpenSSL's own text. Table-driven so a
// reviewer sees every mapping at once.
struct VerifyRule {
  long code;
  std::string_view rule;
  std::string_view advice;
};

constexpr VerifyRule kVerifyRules[] = {
    {X509_V_ERR_HOSTNAME_MISMATCH, "egress-tls-name-mismatch",
     "the certificate does not name this host; the server must present a certificate whose "
     "subjectAltName covers the URL host"},
    {X509_V_ERR_CERT_HAS_EXPIRED, "egress-tls-expired",
     "the server's certificate (or one in its chain) has expired; the server's operator must "
     "renew it"},
    {X509_V_ERR_CERT_NOT_YET_VALID, "egress-tls-not-yet-valid",
     "the server's certificate is not valid yet; check the clocks of this host and the server"},
    {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "egress-tls-untrusted",
     "the server presented a self-signed certificate; use a certificate from a trusted CA, or "
     "add its CA to the egress extra CA file"},
    {X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, "egress-tls-untrusted",
     "the chain ends in a CA this host does not trust; add that CA to the egress extra CA file "
     "if it is your private CA"},
    {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, "egress-tls-untrusted",
     "the certificate's issuer is not in the system CA store or the extra CA file; the server "
     "must send its intermediate certificates, or add your private CA to the extra CA file"},
    {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, "egress-tls-untrusted",
     "the certificate's issuer is unknown; the server must send its full chain"},
    {X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, "egress-tls-untrusted",
     "the leaf certificate cannot be verified against a trusted CA; the server must send its "
     "full chain"},
    {X509_V_ERR_CERT_UNTRUSTED, "egress-tls-untrusted",
     "the root CA is not trusted for server authentication"},
    {X509_V_ERR_CERT_REVOKED, "egress-tls-untrusted", "the certificate has been revoked"},
};

// Handshake failures that mean "no common TLS version >= 1.2".
constexpr int kVersionReasons[] = {
    SSL_R_UNSUPPORTED_PROTOCOL,   SSL_R_TLSV1_ALERT_PROTOCOL_VERSION,
    SSL_R_NO_PROTOCOLS_AVAILABLE, SSL_R_WRONG_SSL_VERSION,
    SSL_R_VERSION_TOO_LOW,
};

std::string openssl_error_text(unsigned long e) {
  if (e == 0) return "no OpenSSL error detail";
  std::array<char, 256> buf{};
  ERR_error_string_n(e, buf.data(), buf.size());
  return buf.data();
}

// ------------------------------------------------------------ SIGPIPE

// OpenSSL writes with write(2), so a peer that closes first would raise
// SIGPIPE and, with the default disposition, kill the host (P8). The host
// must not depend on a process-wide SIG_IGN that some other component may
// change, so the signal is blocked on this thread for the duration of an
// exchange and a SIGPIPE raised meanwhile is consumed before unblocking.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
  }
  ~SigpipeGuard() {
    if (!blocked_) return;
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{0, 0};
        while (sigtimedwait(&pipe_, nullptr, &zero) == -1 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
  bool blocked_ = false;
};

// ------------------------------------------------------------ socket I/O

// Waits until fd is ready for `events` or the deadline passes.
// Returns 1 ready, 0 deadline, -1 poll error.
int wait_fd(int fd, short events, Clock::time_point deadline) {
  while (true) {
    const auto left = duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return 0;
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 60'000)));
    if (rc > 0) return 1;
    if (rc < 0 && errno != EINTR) return -1;
  }
}

enum class Io { ok, clean_eof, unexpected_eof, timeout, reset, tls_error };

struct SslDeleter {
  void operator()(SSL* s) const { SSL_free(s); }
};

// One TLS connection over a non-blocking socket; every operation is bounded
// by a deadline.
class Connection {
 public:
  Connection(Poco::Net::StreamSocket socket, SSL* ssl) : socket_(std::move(socket)), ssl_(ssl) {}
  ~Connection() {
    // Best effort close_notify; never waits (the socket is non-blocking).
    if (handshake_done_) {
      ERR_clear_error();
      SSL_shutdown(ssl_.get());
    }
    ERR_clear_error();
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  SSL* ssl() { return ssl_.get(); }
  int fd() const { return static_cast<int>(socket_.impl()->sockfd()); }
  void set_handshake_done() { handshake_done_ = true; }

  // Drives an SSL operation until it completes, fails or the deadline passes.
  template <typename Op>
  Io drive(Op op, Clock::time_point deadline, int& result, int& ssl_error) {
    while (true) {
      ERR_clear_error();
      result = op();
      if (result > 0) return Io::ok;
      ssl_error = SSL_get_error(ssl_.get(), result);
      short events = 0;
      if (ssl_error == SSL_ERROR_WANT_READ) {
        events = POLLIN;
      } else if (ssl_error == SSL_ERROR_WANT_WRITE) {
        events = POLLOUT;
      } else if (ssl_error == SSL_ERROR_ZERO_RETURN) {
        return Io::clean_eof;
      } else if (ssl_error == SSL_ERROR_SYSCALL) {
        return Io::reset;
      } else {
        const unsigned long e = ERR_peek_error();
        if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return Io::unexpected_eof;
        return Io::tls_error;
      }
      const int w = wait_fd(fd(), events, deadline);
      if (w == 0) return Io::timeout;
      if (w < 0) return Io::reset;
    }
  }

  Io write_all(std::string_view data, Clock::time_point deadline) {
    std::size_t off = 0;
    while (off < data.size()) {
      int n = 0;
      int err = 0;
      const Io io = drive(
          [&] {
            return SSL_write(ssl_.get(), data.data() + off,
                             static_cast<int>(std::min<std::size_t>(data.size() - off, 16384)));
          },
          deadline, n, err);
      if (io != Io::ok) return io == Io::clean_eof ? Io::reset : io;
      off += static_cast<std::size_t>(n);
    }
    return Io::ok;
  }

  Io read_some(std::string& into, Clock::time_point deadline) {
    std::array<char, 16384> buf;
    int n = 0;
    int err = 0;
    const Io io =
        drive([&] { return SSL_read(ssl_.get(), buf.data(), static_cast<int>(buf.size())); },
              deadline, n, err);
    if (io == Io::ok) into.append(buf.data(), static_cast<std::size_t>(n));
    return io;
  }

 private:
  Poco::Net::StreamSocket socket_;
  std::unique_ptr<SSL, SslDeleter> ssl_;
  bool handshake_done_ = false;
};

// ------------------------------------------------------------ body decoding

// Counts decoded bytes against the limit while they arrive, so a gzip bomb
// stops after max_body_bytes of output, not after it is fully inflated.
class BodyDecoder {
 public:
  BodyDecoder(bool gzip, std::size_t limit) : gzip_(gzip), limit_(limit) {
    if (gzip_) {
      // 15 + 16: gzip wrapper only (no zlib, no raw deflate).
      ok_ = inflateInit2(&z_, 15 + 16) == Z_OK;
      z_inited_ = ok_;
    }
  }
  ~BodyDecoder() {
    if (z_inited_) inflateEnd(&z_);
  }
  BodyDecoder(const BodyDecoder&) = delete;
  BodyDecoder& operator=(const BodyDecoder&) = delete;

  enum class St { ok, too_large, corrupt };

  St feed(const char* data, std::size_t len) {
    if (!ok_) return St::corrupt;
    if (!gzip_) {
      if (out_.size() + len > limit_) return St::too_large;
      out_.append(data, len);
      return St::ok;
    }
    if (len == 0) return St::ok;
    if (ended_) return St::corrupt;  // bytes after the gzip member
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    z_.avail_in = static_cast<uInt>(len);
    std::array<char, 16384> buf;
    while (z_.avail_in > 0 && !ended_) {
      z_.next_out = reinterpret_cast<Bytef*>(buf.data());
      z_.avail_out = static_cast<uInt>(buf.size());
      const int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return St::corrupt;
      const std::size_t produced = buf.size() - z_.avail_out;
      if (out_.size() + produced > limit_) return St::too_large;
      out_.append(buf.data(), produced);
      if (rc == Z_STREAM_END) {
        ended_ = true;
        if (z_.avail_in > 0) return St::corrupt;
      } else if (rc == Z_BUF_ERROR && produced == 0) {
        break;  // needs more input
      }
    }
    return St::ok;
  }

  bool finished() const { return !gzip_ || ended_; }
  std::string take() { return std::move(out_); }
  std::size_t size() const { return out_.size(); }

 private:
  bool gzip_;
  std::size_t limit_;
  bool ok_ = true;
  bool z_inited_ = false;
  bool ended_ = false;
  z_stream z_{};
  std::string out_;
};

// ------------------------------------------------------------ HTTP reading

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Quotes a few bytes of upstream text for a reason, escaping anything odd.
std::string quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "'";
  for (char ch : s.substr(0, 60)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7F || c == '\'') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    } else {
      out += ch;
    }
  }
  if (s.size() > 60) out += "...";
  return out + "'";
}

class HttpReader {
 public:
  HttpReader(Connection& conn, Clock::time_point deadline, const Limits& limits,
             const std::string& origin)
      : conn_(conn), deadline_(deadline), limits_(limits), origin_(origin) {}

  ExchangeResult read(bool skip_redirect_body) {
    ExchangeResult r;
    // Interim 1xx responses (e.g. 103 Early Hints) are skipped; their header
    // lines count against the same limits.
    while (true) {
      if (!read_head(r)) return r;
      if (r.response.status >= 200 || r.response.status == 101) break;
      r.response.headers.clear();
    }
    const int status = r.response.status;
    if (status == 101) {
      return fail(Outcome::upstream, "egress-response-malformed",
                  origin_ +
                      " answered 101 Switching Protocols to a plain GET; the http "
                      "capability does not switch protocols");
    }
    const bool redirect =
        status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    if (status == 204 || status == 304 || (redirect && skip_redirect_body)) {
      r.outcome = Outcome::ok;
      r.rule = "egress-allow";
      r.wire_bytes = wire_;
      return r;
    }
    if (!read_body(r)) return r;
    r.outcome = Outcome::ok;
    r.rule = "egress-allow";
    r.wire_bytes = wire_;
    return r;
  }

 private:
  // Fills the buffer with at least one more byte. On failure sets r.
  bool fill(ExchangeResult& r, std::string_view what) {
    const std::size_t before = buf_.size();
    const Io io = conn_.read_some(buf_, deadline_);
    wire_ += buf_.size() - before;
    switch (io) {
      case Io::ok:
        return true;
      case Io::timeout:
        r = fail(Outcome::timeout, "egress-timeout-total",
                 origin_ + " did not finish sending " + std::string(what) +
                     " before the fetch deadline; the server is too slow or stalled: check it, "
                     "or raise the macro's timeout");
        return false;
      case Io::clean_eof:
      case Io::unexpected_eof:
        eof_clean_ = io == Io::clean_eof;
        eof_ = true;
        // Not one byte of a response: Grafana did not answer at all, which is
        // VITRINE_E_UNAVAILABLE (capabilities.h), as a reset is. Only a
        // response cut short is VITRINE_E_UPSTREAM.
        if (wire_ == 0) {
          r = fail(Outcome::unavailable, "egress-connection-reset",
                   origin_ +
                       " closed the connection without answering the request; retry "
                       "later or check the server");
          return false;
        }
        r = fail(Outcome::upstream, "egress-response-truncated",
                 origin_ + " closed the connection in the middle of " + std::string(what) +
                     "; the response is incomplete, retry later or check the server");
        return false;
      case Io::reset:
      case Io::tls_error:
        // The same split as a close: after part of a response it is that
        // response cut short (VITRINE_E_UPSTREAM), before any byte Grafana
        // did not answer (VITRINE_E_UNAVAILABLE), as docs/plugin-abi.md says.
        if (wire_ > 0) {
          r = fail(Outcome::upstream, "egress-response-truncated",
                   origin_ + " reset the connection in the middle of " + std::string(what) +
                       "; the response is incomplete, retry later or check the server");
          return false;
        }
        r = fail(Outcome::unavailable, "egress-connection-reset",
                 origin_ + " reset the connection while sending " + std::string(what) +
                     "; retry later or check the server");
        return false;
    }
    return false;
  }

  // Reads one CRLF-terminated line of at most `max` bytes (CRLF excluded).
  bool read_line(ExchangeResult& r, std::size_t max, std::string_view what, std::string& line,
                 bool count_header) {
    while (true) {
      const std::size_t nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        if (nl == pos_ || buf_[nl - 1] != '\r') {
          r = fail(Outcome::upstream, "egress-response-malformed",
                   origin_ + " sent a bare LF in " + std::string(what) +
                       "; HTTP/1.1 lines end in CRLF. The server is not speaking HTTP correctly");
          return false;
        }
        const std::size_t len = nl - 1 - pos_;
        if (!account(r, len + 2, max, what, count_header)) return false;
        line.assign(buf_, pos_, len);
        pos_ = nl + 1;
        if (line.find('\r') != std::string::npos || line.find('\0') != std::string::npos) {
          r = fail(Outcome::upstream, "egress-response-malformed",
                   origin_ + " sent a CR or NUL inside " + std::string(what) +
                       "; the response is not valid HTTP");
          return false;
        }
        return true;
      }
      if (!account_pending(r, buf_.size() - pos_, max, what, count_header)) return false;
      compact();
      if (!fill(r, what)) return false;
    }
  }

  // Checks a complete line against the line and header-block limits.
  bool account(ExchangeResult& r, std::size_t bytes, std::size_t max, std::string_view what,
               bool count_header) {
    if (bytes > max + 2) return too_long(r, what);
    if (count_header) {
      header_bytes_ += bytes;
      if (header_bytes_ > limits_.max_header_bytes) return headers_too_large(r);
    }
    return true;
  }
  // Checks an incomplete line: refuses as soon as it is already too long.
  bool account_pending(ExchangeResult& r, std::size_t pending, std::size_t max,
                       std::string_view what, bool count_header) {
    if (pending > max + 2) return too_long(r, what);
    if (count_header && header_bytes_ + pending > limits_.max_header_bytes) {
      return headers_too_large(r);
    }
    return true;
  }
  bool too_long(ExchangeResult& r, std::string_view what) {
    r = fail(Outcome::too_large, "egress-response-headers-too-large",
             origin_ + " sent an over-long " + std::string(what) + "; the limit is " +
                 std::to_string(limits_.max_header_bytes) +
                 " bytes of headers. The server is misbehaving; check it");
    return false;
  }
  bool headers_too_large(ExchangeResult& r) {
    r = fail(Outcome::too_large, "egress-response-headers-too-large",
             origin_ + " sent more than " + std::to_string(limits_.max_header_bytes) +
                 " bytes of response headers; the server is misbehaving, check it");
    return false;
  }

  void compact() {
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
  }

  bool read_head(ExchangeResult& r) {
    std::string line;
    if (!read_line(r, limits_.max_status_line, "the status line", line, true)) return false;
    // HTTP-version SP 3DIGIT [SP reason-phrase]
    const std::string_view v(line);
    const bool version_ok = v.substr(0, 9) == "HTTP/1.1 " || v.substr(0, 9) == "HTTP/1.0 ";
    const bool digits_ok = v.size() >= 12 && std::all_of(v.begin() + 9, v.begin() + 12, [](char c) {
                             return c >= '0' && c <= '9';
                           });
    if (!version_ok || !digits_ok || (v.size() > 12 && v[12] != ' ')) {
      r = fail(Outcome::upstream, "egress-response-malformed",
               origin_ + " did not answer with an HTTP/1.x status line (got " + quote(v) +
                   "); the server is not speaking HTTP/1.1 on this port");
      return false;
    }
    const int status = (v[9] - '0') * 100 + (v[10] - '0') * 10 + (v[11] - '0');
    if (status < 100 || status > 599) {
      r = fail(Outcome::upstream, "egress-response-malformed",
               origin_ + " answered with status " + std::to_string(status) +
                   ", outside 100-599; the response is not valid HTTP");
      return false;
    }
    r.response.status = status;
    while (true) {
      if (!read_line(r, limits_.max_header_bytes, "the response headers", line, true)) {
        return false;
      }
      if (line.empty()) return true;
      if (line.front() == ' ' || line.front() == '\t') {
        r = fail(Outcome::upstream, "egress-response-malformed",
                 origin_ +
                     " sent a folded header line (obs-fold), which HTTP/1.1 forbids; "
                     "the server must send each header on one line");
        return false;
      }
      ++header_count_;
      if (header_count_ > limits_.max_header_count) {
        r = fail(Outcome::too_large, "egress-response-headers-too-many",
                 origin_ + " sent more than " + std::to_string(limits_.max_header_count) +
                     " response headers; the server is misbehaving, check it");
        return false;
      }
      const std::size_t colon = line.find(':');
      const std::string_view name = std::string_view(line).substr(0, colon);
      if (colon == std::string::npos || name.empty() ||
          !std::all_of(name.begin(), name.end(), is_tchar)) {
        r = fail(Outcome::upstream, "egress-response-malformed",
                 origin_ + " sent an invalid header line " + quote(line) +
                     "; the response is not valid HTTP");
        return false;
      }
      const std::string_view value = trim_ows(std::string_view(line).substr(colon + 1));
      for (char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
          r = fail(Outcome::upstream, "egress-response-malformed",
                   origin_ + " sent a control byte in header '" + std::string(name) +
                       "'; the response is not valid HTTP");
          return false;
        }
      }
      r.response.headers.push_back({to_lower(name), std::string(value)});
    }
  }

  bool framing_error(ExchangeResult& r, std::string what) {
    r = fail(Outcome::upstream, "egress-response-framing",
             origin_ + " sent " + what +
                 "; the body length is ambiguous (a request-smuggling pattern), so the response "
                 "is refused. The server must send one Content-Length or Transfer-Encoding: "
                 "chunked");
    return false;
  }

  bool body_too_large(ExchangeResult& r) {
    r = fail(Outcome::too_large, "egress-body-too-large",
             origin_ + " sent a body larger than " + std::to_string(limits_.max_body_bytes) +
                 " bytes (after decoding); ask for less data (narrower time range, fewer "
                 "items) or raise the limit");
    return false;
  }

  bool decode_status(ExchangeResult& r, BodyDecoder::St st) {
    if (st == BodyDecoder::St::ok) return true;
    if (st == BodyDecoder::St::too_large) return body_too_large(r);
    r = fail(Outcome::upstream, "egress-body-gzip-corrupt",
             origin_ +
                 " sent a gzip body that does not decode; the response is corrupt, "
                 "check the server");
    return false;
  }

  bool read_body(ExchangeResult& r) {
    const Response& resp = r.response;
    // Content-Encoding: identity or one gzip layer; we only ever ask for gzip.
    bool gzip = false;
    int encodings = 0;
    for (const auto& h : resp.headers) {
      if (h.name != "content-encoding") continue;
      ++encodings;
      const std::string v = to_lower(trim_ows(h.value));
      if (v == "gzip" || v == "x-gzip") {
        gzip = true;
      } else if (v != "identity") {
        r = fail(Outcome::upstream, "egress-response-encoding",
                 origin_ + " sent Content-Encoding " + quote(h.value) +
                     "; the host asks for gzip only and decodes nothing else");
        return false;
      }
    }
    if (encodings > 1) {
      r = fail(Outcome::upstream, "egress-response-encoding",
               origin_ +
                   " sent more than one Content-Encoding; one gzip layer at most is "
                   "decoded");
      return false;
    }

    // Framing: exactly one of Transfer-Encoding: chunked, Content-Length, or
    // neither (read to a clean TLS close).
    const std::string* te = nullptr;
    int te_count = 0;
    std::optional<uint64_t> length;
    for (const auto& h : resp.headers) {
      if (h.name == "transfer-encoding") {
        te = &h.value;
        ++te_count;
      } else if (h.name == "content-length") {
        const std::string_view v = trim_ows(h.value);
        if (v.empty() || v.size() > 18 ||
            !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
          return framing_error(r, "Content-Length " + quote(h.value));
        }
        const uint64_t n = std::stoull(std::string(v));
        if (length && *length != n) return framing_error(r, "conflicting Content-Length values");
        length = n;
      }
    }
    if (te_count > 1) return framing_error(r, "more than one Transfer-Encoding header");
    if (te != nullptr && length)
      return framing_error(r, "both Transfer-Encoding and Content-Length");
    if (te != nullptr && to_lower(trim_ows(*te)) != "chunked") {
      return framing_error(r, "Transfer-Encoding " + quote(*te) + " (only chunked is accepted)");
    }

    const std::size_t wire_limit =
        limits_.max_body_bytes + (gzip ? limits_.max_wire_slack : std::size_t{0});
    if (length && *length > wire_limit) {
      // Refused before reading a byte of it.
      r = fail(Outcome::too_large, "egress-body-too-large",
               origin_ + " announced a body of " + std::to_string(*length) +
                   " bytes (Content-Length); the limit is " +
                   std::to_string(limits_.max_body_bytes) +
                   " bytes. Ask for less data (narrower time range, fewer items)");
      return false;
    }

    BodyDecoder dec(gzip, limits_.max_body_bytes);
    uint64_t body_wire = 0;
    auto consume = [&](std::size_t n) -> bool {
      body_wire += n;
      if (body_wire > wire_limit) return body_too_large(r);
      const BodyDecoder::St st = dec.feed(buf_.data() + pos_, n);
      pos_ += n;
      return decode_status(r, st);
    };

    if (te != nullptr) {
      if (!read_chunked(r, consume)) return false;
    } else if (length) {
      uint64_t left = *length;
      while (left > 0) {
        if (pos_ >= buf_.size()) {
          buf_.clear();
          pos_ = 0;
          if (!fill(r, "the body")) return false;
        }
        const std::size_t n =
            static_cast<std::size_t>(std::min<uint64_t>(left, buf_.size() - pos_));
        if (!consume(n)) return false;
        left -= n;
      }
    } else {
      // Delimited by the end of the connection: only a TLS close_notify
      // proves the body is complete (a bare TCP FIN can be forged to
      // truncate it).
      while (true) {
        if (pos_ < buf_.size() && !consume(buf_.size() - pos_)) return false;
        buf_.clear();
        pos_ = 0;
        ExchangeResult tmp;
        if (fill(tmp, "the body")) continue;
        if (eof_ && eof_clean_) break;
        r = std::move(tmp);
        if (eof_) {
          r.reason = origin_ +
                     " ended a body without a length by closing the connection "
                     "without a TLS close_notify; the body may be truncated, so it is "
                     "refused. The server should send Content-Length or chunked";
        }
        return false;
      }
    }
    if (!dec.finished()) {
      r = fail(Outcome::upstream, "egress-body-gzip-corrupt",
               origin_ + " sent a gzip body that ends early; the response is incomplete");
      return false;
    }
    r.response.body = dec.take();
    return true;
  }

  template <typename Consume>
  bool read_chunked(ExchangeResult& r, Consume& consume) {
    std::string line;
    while (true) {
      if (!read_line(r, 1024, "a chunk size line", line, false)) return false;
      const std::string_view v = std::string_view(line).substr(0, line.find(';'));
      const std::string_view hex = trim_ows(v);
      if (hex.empty() || hex.size() > 15 || !std::all_of(hex.begin(), hex.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
          })) {
        r = fail(Outcome::upstream, "egress-response-malformed",
                 origin_ + " sent an invalid chunk size " + quote(line) +
                     "; the chunked body is corrupt");
        return false;
      }
      const uint64_t size = std::stoull(std::string(hex), nullptr, 16);
      if (size == 0) break;
      uint64_t left = size;
      while (left > 0) {
        if (pos_ >= buf_.size()) {
          buf_.clear();
          pos_ = 0;
          if (!fill(r, "the body")) return false;
        }
        const std::size_t n =
            static_cast<std::size_t>(std::min<uint64_t>(left, buf_.size() - pos_));
        if (!consume(n)) return false;
        left -= n;
      }
      if (!read_line(r, 1024, "a chunk terminator", line, false)) return false;
      if (!line.empty()) {
        r = fail(Outcome::upstream, "egress-response-malformed",
                 origin_ +
                     " sent chunk data longer than its declared size; the chunked body "
                     "is corrupt");
        return false;
      }
    }
    // Trailer section: read and ignored, but bounded like headers.
    while (true) {
      if (!read_line(r, limits_.max_header_bytes, "the chunked trailers", line, true)) {
        return false;
      }
      if (line.empty()) return true;
      if (++header_count_ > limits_.max_header_count) {
        r = fail(Outcome::too_large, "egress-response-headers-too-many",
                 origin_ + " sent more than " + std::to_string(limits_.max_header_count) +
                     " header and trailer lines; the server is misbehaving, check it");
        return false;
      }
    }
  }

  Connection& conn_;
  Clock::time_point deadline_;
  const Limits& limits_;
  const std::string& origin_;
  std::string buf_;
  std::size_t pos_ = 0;
  std::size_t header_bytes_ = 0;
  std::size_t header_count_ = 0;
  uint64_t wire_ = 0;
  bool eof_ = false;
  bool eof_clean_ = false;
};

ExchangeResult handshake_failure(Connection& conn, Io io, bool hs_deadline_first,
                                 const std::string& origin) {
  if (io == Io::timeout) {
    if (hs_deadline_first) {
      return fail(Outcome::timeout, "egress-timeout-handshake",
                  origin +
                      " accepted the TCP connection but did not complete the TLS handshake "
                      "in time; the server is stalled or is not speaking TLS on this port");
    }
    return fail(Outcome::timeout, "egress-timeout-total",
                "the fetch deadline passed during the TLS handshake with " + origin +
                    "; the server is too slow, check it or raise the macro's timeout");
  }
  const long verify = SSL_get_verify_result(conn.ssl());
  if (verify != X509_V_OK) {
    for (const auto& v : kVerifyRules) {
      if (v.code == verify) {
        return fail(Outcome::unavailable, std::string(v.rule),
                    "TLS verification of " + origin + " failed: " +
                        X509_verify_cert_error_string(verify) + "; " + std::string(v.advice));
      }
    }
    return fail(Outcome::unavailable, "egress-tls-verify-failed",
                "TLS verification of " + origin +
                    " failed: " + X509_verify_cert_error_string(verify) +
                    "; the server's certificate chain is not acceptable, its operator must fix it");
  }
  const unsigned long e = ERR_peek_error();
  const int reason = ERR_GET_REASON(e);
  if (std::find(std::begin(kVersionReasons), std::end(kVersionReasons), reason) !=
      std::end(kVersionReasons)) {
    return fail(Outcome::unavailable, "egress-tls-version",
                origin + " does not offer TLS 1.2 or newer (" + openssl_error_text(e) +
                    "); the host refuses older protocol versions, the server must enable TLS "
                    "1.2 or 1.3");
  }
  if (io == Io::reset || io == Io::unexpected_eof || io == Io::clean_eof) {
    return fail(Outcome::unavailable, "egress-tls-handshake",
                origin +
                    " closed or reset the connection during the TLS handshake; check that "
                    "the server speaks TLS on this port and accepts TLS 1.2 or newer");
  }
  return fail(Outcome::unavailable, "egress-tls-handshake",
              "the TLS handshake with " + origin + " failed (" + openssl_error_text(e) +
                  "); check the server's TLS configuration");
}

}  // namespace

const std::string* Response::header(std::string_view lower_name) const {
  for (const auto& h : headers) {
    if (h.name == lower_name) return &h.value;
  }
  return nullptr;
}

std::string build_request(const Url& url, const std::vector<Header>* headers,
                          const std::string* bearer_token) {
  std::string req = "GET " + url.target() + " HTTP/1.1\r\nHost: " + url.host;
  if (url.port != 443) req += ":" + std::to_string(url.port);
  req += "\r\n";
  if (headers != nullptr) {
    for (const auto& h : *headers) req += h.name + ": " + h.value + "\r\n";
  }
  if (bearer_token != nullptr) req += "Authorization: Bearer " + *bearer_token + "\r\n";
  req += "Accept-Encoding: gzip\r\nConnection: close\r\nUser-Agent: vitrine\r\n\r\n";
  return req;
}

struct TlsClient::Impl {
  SSL_CTX* ctx = nullptr;
  ~Impl() {
    if (ctx != nullptr) SSL_CTX_free(ctx);
  }
};

TlsClient::TlsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsClient::~TlsClient() = default;

std::unique_ptr<TlsClient> TlsClient::create(const TlsConfig& config, std::string& error) {
  auto impl = std::make_unique<Impl>();
  impl->ctx = SSL_CTX_new(TLS_client_method());
  if (impl->ctx == nullptr) {
    error = "cannot create a TLS context: " + openssl_error_text(ERR_get_error());
    return nullptr;
  }
  SSL_CTX* ctx = impl->ctx;
  // TLS 1.2 is the floor (DESIGN.md step 5): older versions have known
  // downgrade and cipher weaknesses.
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    error = "cannot set the TLS 1.2 minimum: " + openssl_error_text(ERR_get_error());
    return nullptr;
  }
  // Renegotiation would let the peer re-run the handshake mid-response; a
  // one-shot GET never needs it.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_verify_depth(ctx, 8);
  if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    error = "cannot load the system CA store: " + openssl_error_text(ERR_get_error());
    return nullptr;
  }
  if (!config.extra_ca_file.empty() &&
      SSL_CTX_load_verify_locations(ctx, config.extra_ca_file.c_str(), nullptr) != 1) {
    error = "cannot load the extra CA file '" + config.extra_ca_file +
            "': " + openssl_error_text(ERR_get_error()) +
            "; it must be a readable PEM file of CA certificates";
    ERR_clear_error();
    return nullptr;
  }
  ERR_clear_error();
  return std::unique_ptr<TlsClient>(new TlsClient(std::move(impl)));
}

ExchangeResult TlsClient::get(const PinnedTarget& target, const ExchangeOptions& options) const {
  const SigpipeGuard sigpipe_guard;  // outlives the connection (declared first)
  try {
    const Url& url = target.url();
    const std::string origin = url.origin();
    const uint16_t port = options.connect_port != 0 ? options.connect_port : url.port;
    const Clock::time_point deadline = options.deadline;

    // The token goes only where the decision said it may (P4); the header
    // bytes are checked here once more because they end up on the wire.
    const std::string* token = target.attach_token() ? options.bearer_token : nullptr;
    if (token != nullptr) {
      for (char ch : *token) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7F) {
          return fail(Outcome::internal, "egress-token-invalid",
                      "the space's stored token contains a byte that cannot go in an HTTP "
                      "header; a space admin must set the token again");
        }
      }
    }

    // 1. TCP connect: the pinned addresses in order; never a name lookup.
    Poco::Net::StreamSocket socket;
    bool connected = false;
    std::string last_error = "no address to connect to";
    std::string peer;
    bool connect_timed_out = false;
    for (const auto& address : target.addresses()) {
      const auto now = Clock::now();
      if (now >= deadline) {
        return fail(Outcome::timeout, "egress-timeout-total",
                    "the fetch deadline passed before a connection to " + origin +
                        " was made; the server is unreachable or slow");
      }
      const auto budget = std::min<Clock::duration>(options.connect_timeout, deadline - now);
      const auto us = std::max<long long>(
          1, std::chrono::duration_cast<std::chrono::microseconds>(budget).count());
      const Poco::Net::SocketAddress sa(address, port);
      try {
        Poco::Net::StreamSocket s;
        s.connect(sa, Poco::Timespan(us));
        socket = s;
        peer = sa.toString();
        connected = true;
        break;
      } catch (const Poco::TimeoutException&) {
        connect_timed_out = true;
        last_error = "connecting to " + sa.toString() + " timed out";
      } catch (const Poco::Exception& e) {
        last_error = "connecting to " + sa.toString() + " failed: " + e.displayText();
      }
    }
    if (!connected) {
      if (connect_timed_out) {
        return fail(Outcome::timeout, "egress-timeout-connect",
                    "no address of " + origin + " accepted a TCP connection in time (" +
                        last_error + "); the server is down or filtered, retry later");
      }
      return fail(Outcome::unavailable, "egress-connect-failed",
                  "cannot connect to " + origin + " (" + last_error +
                      "); the server is down or refusing connections, retry later");
    }
    socket.setBlocking(false);
    socket.setNoDelay(true);

    // 2. TLS: SNI and the certificate name check use the URL host.
    SSL* raw = SSL_new(impl_->ctx);
    if (raw == nullptr) {
      return fail(Outcome::internal, "egress-internal",
                  "cannot create a TLS session: " + openssl_error_text(ERR_get_error()));
    }
    Connection conn(socket, raw);
    if (SSL_set_fd(raw, conn.fd()) != 1 ||
        SSL_ctrl(raw, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(url.host.c_str())) != 1 ||
        SSL_set1_host(raw, url.host.c_str()) != 1) {
      return fail(Outcome::internal, "egress-internal",
                  "cannot configure the TLS session: " + openssl_error_text(ERR_get_error()));
    }
    // "*.example.com" must cover a whole label; no "f*.example.com" forms.
    SSL_set_hostflags(raw, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);

    const auto hs_deadline = std::min(Clock::now() + options.handshake_timeout, deadline);
    const bool hs_first = hs_deadline < deadline;
    int rc = 0;
    int err = 0;
    const Io hs = conn.drive([&] { return SSL_connect(raw); }, hs_deadline, rc, err);
    if (hs != Io::ok) {
      ExchangeResult r = handshake_failure(conn, hs, hs_first, origin);
      r.peer = peer;
      return r;
    }
    conn.set_handshake_done();
    // Defence in depth: SSL_VERIFY_PEER already failed the handshake on any
    // verification error; this guards against a future flag change.
    if (SSL_get_verify_result(raw) != X509_V_OK || SSL_get0_peer_certificate(raw) == nullptr) {
      return fail(Outcome::unavailable, "egress-tls-verify-failed",
                  "TLS verification of " + origin + " did not succeed; refusing to send");
    }

    // 3. The request.
    const std::string request = build_request(url, options.headers, token);
    const Io w = conn.write_all(request, deadline);
    if (w == Io::timeout) {
      return fail(Outcome::timeout, "egress-timeout-total",
                  "the fetch deadline passed while sending the request to " + origin);
    }
    if (w != Io::ok) {
      return fail(Outcome::unavailable, "egress-connection-reset",
                  origin + " closed the connection before the request was sent; retry later");
    }

    // 4. The response, within limits.
    HttpReader reader(conn, deadline, options.limits, origin);
    ExchangeResult r = reader.read(options.skip_redirect_body);
    r.peer = peer;
    return r;
  } catch (const std::exception& e) {
    return fail(Outcome::internal, "egress-internal",
                std::string("internal error in the egress client: ") + e.what());
  } catch (...) {
    return fail(Outcome::internal, "egress-internal", "internal error in the egress client");
  }
}

ExchangeResult total_deadline_passed(std::string reason) {
  return fail(Outcome::timeout, "egress-timeout-total", std::move(reason));
}

}  // namespace vitrine::egress::client
