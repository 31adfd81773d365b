// The whole server behind its HTTP front end, with raw bytes on a loopback
// socket: requests the parser refuses get the same answer shapes as
// handler errors (JSON under /api/, an HTML page elsewhere), the security
// headers and a metrics count; HEAD has the GET's length and no body.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <map>
#include <string>

#include "server_fixture.h"

namespace vitrine::testing {
namespace {

struct Raw {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // everything after the head
};

// Sends `bytes`, half-closes, and reads until the server closes.
Raw exchange(uint16_t port, const std::string& bytes) {
  Raw out;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return out;
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string all;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size())) {
    ::shutdown(fd, SHUT_WR);
    char buf[16384];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) all.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto end = all.find("\r\n\r\n");
  if (all.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return out;
  out.status = std::stoi(all.substr(9, 3));
  std::size_t pos = all.find("\r\n");
  while (pos < end) {
    const std::size_t next = all.find("\r\n", pos + 2);
    const std::string line = all.substr(pos + 2, next - pos - 2);
    const auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = line.substr(colon + 2);
    pos = next;
  }
  out.body = all.substr(end + 4);
  return out;
}

class FrontEnd : public ServerFixture {};

TEST_F(FrontEnd, ParseErrorUnderApiIsJsonWithSecurityHeaders) {
  Raw r = exchange(server_->port(), "GET /api/v1/spaces HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers["content-type"].rfind("application/json", 0), 0u)
      << r.headers["content-type"];
  EXPECT_NE(r.body.find("\"http-host-missing\""), std::string::npos) << r.body;
  EXPECT_EQ(r.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_EQ(r.headers["content-length"], std::to_string(r.body.size()));
}

TEST_F(FrontEnd, ParseErrorElsewhereIsAnHtmlPage) {
  Raw r = exchange(server_->port(),
                   "GET /spaces/alpha HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\x01\r\n\r\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers["content-type"].rfind("text/html", 0), 0u);
  EXPECT_NE(r.headers["content-security-policy"].find("default-src 'none'"), std::string::npos);
  EXPECT_NE(r.body.find("control character"), std::string::npos);
}

TEST_F(FrontEnd, OversizeBodyUnderApiIsJson413) {
  Raw r = exchange(server_->port(),
                   "POST /api/v1/spaces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                       std::to_string(max_body_ + 1) + "\r\n\r\n");
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("payload-too-large"), std::string::npos);
  EXPECT_NE(r.body.find(std::to_string(max_body_)), std::string::npos);
}

TEST_F(FrontEnd, OversizeBodyOnAPageIsAnHtml413) {
  Raw r = exchange(server_->port(), "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                                        std::to_string(max_body_ + 1) + "\r\n\r\n");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.headers["content-type"].rfind("text/html", 0), 0u);
  EXPECT_NE(r.body.find("Request too large"), std::string::npos);
}

TEST_F(FrontEnd, ChunkedBodyIsRefusedWith411) {
  Raw r = exchange(server_->port(),
                   "POST /api/v1/spaces HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(r.status, 411);
  EXPECT_NE(r.body.find("http-transfer-encoding-refused"), std::string::npos);
  EXPECT_NE(r.body.find("send the body with Content-Length"), std::string::npos);
}

TEST_F(FrontEnd, UnknownMethodIs501) {
  Raw r = exchange(server_->port(), "BREW /pot HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(r.status, 501);
}

TEST_F(FrontEnd, HeadHasTheLengthOfGetAndNoBody) {
  const Raw get = exchange(server_->port(),
                           "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  const Raw head = exchange(
      server_->port(), "HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(get.status, 200);
  ASSERT_EQ(head.status, 200);
  EXPECT_EQ(head.headers.at("content-length"), std::to_string(get.body.size()));
  EXPECT_EQ(head.body, "");
}

TEST_F(FrontEnd, RefusedRequestsAreCounted) {
  exchange(server_->port(), "GET / HTTP/1.1\n\n");
  const auto metrics = send("GET", "/metrics");
  EXPECT_NE(metrics.body.find("route=\"unmatched\",status=\"400\""), std::string::npos)
      << metrics.body;
}

}  // namespace
}  // namespace vitrine::testing
