#include "tls_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <csignal>
#include <cstdio>
#include <stdexcept>

namespace vitrine::egress::nettest {
namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    ERR_print_errors_fp(stderr);
    throw std::runtime_error(std::string("test PKI/server setup failed: ") + what);
  }
}

std::shared_ptr<EVP_PKEY> new_key() {
  // P-256: fast to generate, so every test binary makes fresh keys.
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  check(k != nullptr, "EC key generation");
  return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free);
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "certificate extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// issuer == nullptr: self-signed.
KeyCert make_cert(const std::string& cn, const KeyCert* issuer, bool is_ca,
                  const std::vector<std::string>& dns, long not_before_s, long not_after_s,
                  long serial) {
  KeyCert kc;
  kc.key = new_key();
  X509* x = X509_new();
  check(x != nullptr, "X509_new");
  kc.cert = std::shared_ptr<X509>(x, X509_free);
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(x), not_after_s);
  X509_set_pubkey(x, kc.key.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : x;
  X509_set_issuer_name(x, X509_get_subject_name(issuer_cert));
  add_ext(x, issuer_cert, NID_subject_key_identifier, "hash");
  if (is_ca) {
    add_ext(x, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(x, issuer_cert, NID_authority_key_identifier, "keyid:always");
    add_ext(x, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x, issuer_cert, NID_key_usage, "critical,digitalSignature");
    add_ext(x, issuer_cert, NID_ext_key_usage, "serverAuth");
    std::string san;
    for (const auto& d : dns) san += (san.empty() ? "DNS:" : ",DNS:") + d;
    if (!san.empty()) add_ext(x, issuer_cert, NID_subject_alt_name, san);
  }
  EVP_PKEY* signer = issuer != nullptr ? issuer->key.get() : kc.key.get();
  check(X509_sign(x, signer, EVP_sha256()) > 0, "X509_sign");
  return kc;
}

constexpr long kDay = 24 * 3600;

}  // namespace

TestPki::TestPki() {
  ca_ = make_cert("Vitrine Test CA", nullptr, true, {}, -kDay, 30 * kDay, serial_++);
  untrusted_ca_ = make_cert("Untrusted Test CA", nullptr, true, {}, -kDay, 30 * kDay, serial_++);
  static std::atomic<int> counter{0};
  ca_file_ = std::filesystem::temp_directory_path() /
             ("vitrine-egress-net-ca-" + std::to_string(::getpid()) + "-" +
              std::to_string(counter++) + ".pem");
  FILE* f = std::fopen(ca_file_.c_str(), "w");
  check(f != nullptr, "CA file open");
  const bool ok = PEM_write_X509(f, ca_.cert.get()) == 1;
  std::fclose(f);
  check(ok, "CA file write");
}

TestPki::~TestPki() {
  std::error_code ec;
  std::filesystem::remove(ca_file_, ec);
}

KeyCert TestPki::leaf(const std::vector<std::string>& dns_names, LeafKind kind) {
  const KeyCert& issuer = kind == LeafKind::untrusted_ca ? untrusted_ca_ : ca_;
  const long nb = kind == LeafKind::expired ? -10 * kDay : -kDay;
  const long na = kind == LeafKind::expired ? -2 * kDay : 10 * kDay;
  return make_cert(dns_names.empty() ? "leaf" : dns_names.front(), &issuer, false, dns_names, nb,
                   na, serial_++);
}

std::string SeenRequest::header(const std::string& lower_name) const {
  for (const auto& [n, v] : headers) {
    if (n == lower_name) return v;
  }
  return "";
}

bool SeenRequest::has(const std::string& lower_name) const {
  for (const auto& h : headers) {
    if (h.first == lower_name) return true;
  }
  return false;
}

TlsTestServer::TlsTestServer(ServerOptions options) : options_(std::move(options)) {
  // A client that gives up closes its socket; the server's next write must
  // fail with EPIPE rather than kill the test process.
  std::signal(SIGPIPE, SIG_IGN);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  check(ctx != nullptr, "SSL_CTX_new");
  ctx_ = ctx;
  if (options_.max_version != 0) {
    // Old protocol versions need security level 0 on OpenSSL 3 (Debian
    // defaults to level 2); the point is a server that offers nothing else.
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx, options_.max_version);
    SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
  }
  check(SSL_CTX_use_certificate(ctx, options_.cert.cert.get()) == 1, "server certificate");
  check(SSL_CTX_use_PrivateKey(ctx, options_.cert.key.get()) == 1, "server key");

  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  check(listen_fd_ >= 0, "socket");
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1 only, ever
  addr.sin_port = 0;
  check(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0, "bind");
  check(::listen(listen_fd_, 16) == 0, "listen");
  socklen_t len = sizeof(addr);
  check(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0, "getsockname");
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

TlsTestServer::~TlsTestServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

void TlsTestServer::route(const std::string& target, Route r) {
  std::lock_guard lock(mu_);
  routes_[target] = std::move(r);
}

std::vector<SeenRequest> TlsTestServer::requests() const {
  std::lock_guard lock(mu_);
  return seen_;
}

void TlsTestServer::run() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    ++connections_;
    serve(fd);
    ::close(fd);
  }
}

void TlsTestServer::serve(int fd) {
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (!options_.speak_tls) {
    // Hold the connection silently until the client gives up (or 5 s).
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!stop_ && std::chrono::steady_clock::now() < until) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) {
        char c;
        if (::recv(fd, &c, 1, 0) <= 0) return;  // client closed
      }
    }
    return;
  }
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
  if (ssl == nullptr) return;
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) <= 0) {  // e.g. the client refused our certificate
    ERR_clear_error();
    SSL_free(ssl);
    return;
  }
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
    const int n = SSL_read(ssl, buf, sizeof(buf));
    if (n <= 0) break;
    head.append(buf, static_cast<std::size_t>(n));
  }
  SeenRequest seen;
  std::size_t pos = head.find("\r\n");
  seen.request_line = head.substr(0, pos);
  while (pos != std::string::npos) {
    const std::size_t start = pos + 2;
    pos = head.find("\r\n", start);
    if (pos == std::string::npos || pos == start) break;
    const std::string line = head.substr(start, pos - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::size_t v = colon + 1;
    while (v < line.size() && line[v] == ' ') ++v;
    seen.headers.emplace_back(name, line.substr(v));
  }
  const std::size_t sp1 = seen.request_line.find(' ');
  const std::size_t sp2 = seen.request_line.find(' ', sp1 + 1);
  const std::string target =
      sp1 == std::string::npos ? std::string() : seen.request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  Route route;
  {
    std::lock_guard lock(mu_);
    seen_.push_back(seen);
    auto it = routes_.find(target);
    route = it != routes_.end() ? it->second : Route{http_response(404, "not found"), {}};
  }
  if (route.drip.count() > 0) {
    for (char c : route.raw) {
      if (stop_ || SSL_write(ssl, &c, 1) <= 0) break;
      std::this_thread::sleep_for(route.drip);
    }
  } else {
    std::size_t off = 0;
    while (off < route.raw.size()) {
      const int n =
          SSL_write(ssl, route.raw.data() + off,
                    static_cast<int>(std::min<std::size_t>(route.raw.size() - off, 65536)));
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
  }
  if (route.reset) {
    // The caller's close(fd) now sends an RST instead of a FIN.
    const linger abort_close{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
    SSL_free(ssl);
    return;
  }
  SSL_shutdown(ssl);  // close_notify: the body (if unframed) is complete
  ERR_clear_error();
  SSL_free(ssl);
}

std::string http_response(int status, const std::string& body,
                          const std::vector<std::string>& extra_headers) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " X\r\n";
  for (const auto& h : extra_headers) r += h + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return r;
}

std::string redirect_response(int status, const std::string& location) {
  return "HTTP/1.1 " + std::to_string(status) + " Redirect\r\nLocation: " + location +
         "\r\nContent-Length: 0\r\n\r\n";
}

std::string chunked_response(const std::string& body, std::size_t chunk_size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string r =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t off = 0; off < body.size(); off += chunk_size) {
    const std::size_t n = std::min(chunk_size, body.size() - off);
    std::string hex;
    for (std::size_t v = n; v > 0; v >>= 4) hex.insert(hex.begin(), kHex[v & 0xF]);
    r += hex + "\r\n" + body.substr(off, n) + "\r\n";
  }
  return r + "0\r\n\r\n";
}

std::string gzip(const std::string& data) {
  z_stream z{};
  check(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) == Z_OK, "deflateInit2");
  std::string out;
  out.resize(deflateBound(&z, data.size()));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  check(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace vitrine::egress::nettest
