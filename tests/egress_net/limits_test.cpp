// Response limits (DESIGN.md "Egress policy" step 6, P8): header count and
// size, body size counted while streaming after decoding (chunked, gzip),
// Content-Length refused before reading, the total deadline, strict framing.
#include "net_fixture.h"

namespace vitrine::egress::nettest {
namespace {

using client::Outcome;
constexpr std::size_t kLimit = 64 * 1024;  // FetchConfig::limits.max_body_bytes in the fixture

TEST_F(EgressNet, egress_body_too_large_ChunkedExactlyAtLimitIsAccepted) {
  auto& g = server("grafana.test");
  g.route("/api/search", {chunked_response(std::string(kLimit, 'a'), 1000), {}});
  const auto r = fetch("https://grafana.test/api/search");
  ASSERT_EQ(r.outcome, Outcome::ok) << r.rule << ": " << r.reason;
  EXPECT_EQ(r.body.size(), kLimit);
  EXPECT_EQ(audit_.records().back().bytes, kLimit);
}

TEST_F(EgressNet, egress_body_too_large_ChunkedOneByteOver) {
  auto& g = server("grafana.test");
  g.route("/api/search", {chunked_response(std::string(kLimit + 1, 'a'), 1000), {}});
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::too_large);
  EXPECT_EQ(r.rule, "egress-body-too-large") << r.reason;
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(audit_.records().back().rule, "egress-body-too-large");
}

TEST_F(EgressNet, egress_body_too_large_ContentLengthExactlyAtLimitAndOneOver) {
  auto& g = server("grafana.test");
  g.route("/api/search/ok", {http_response(200, std::string(kLimit, 'b')), {}});
  g.route("/api/search/over", {http_response(200, std::string(kLimit + 1, 'b')), {}});
  EXPECT_EQ(fetch("https://grafana.test/api/search/ok").outcome, Outcome::ok);
  EXPECT_EQ(fetch("https://grafana.test/api/search/over").rule, "egress-body-too-large");
}

TEST_F(EgressNet, egress_body_too_large_HugeContentLengthRefusedBeforeReading) {
  auto& g = server("grafana.test");
  // The header promises 10 GB and no body follows: the refusal comes from
  // the header alone, before a body byte is read.
  g.route("/api/search",
          {"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n", std::chrono::milliseconds(0)});
  const auto start = client::Clock::now();
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::too_large);
  EXPECT_EQ(r.rule, "egress-body-too-large");
  EXPECT_NE(r.reason.find("10000000000"), std::string::npos) << r.reason;
  EXPECT_LT(client::Clock::now() - start, std::chrono::seconds(2));
}

TEST_F(EgressNet, egress_body_too_large_GzipBomb) {
  auto& g = server("grafana.test");
  const std::string bomb = gzip(std::string(16 * 1024 * 1024, '\0'));  // ~16 KiB on the wire
  ASSERT_LT(bomb.size(), kLimit);
  g.route("/api/search", {http_response(200, bomb, {"Content-Encoding: gzip"}), {}});
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::too_large);
  EXPECT_EQ(r.rule, "egress-body-too-large") << r.reason;
}

TEST_F(EgressNet, egress_body_too_large_GzipChunkedBomb) {
  auto& g = server("grafana.test");
  std::string raw = chunked_response(gzip(std::string(16 * 1024 * 1024, 'z')), 512);
  raw.insert(raw.find("\r\n\r\n"), "\r\nContent-Encoding: gzip");
  g.route("/api/search", {raw, {}});
  EXPECT_EQ(fetch("https://grafana.test/api/search").rule, "egress-body-too-large");
}

TEST_F(EgressNet, GzipBodyIsDecoded) {
  auto& g = server("grafana.test");
  const std::string json(20000, 'j');
  g.route("/api/search", {http_response(200, gzip(json), {"Content-Encoding: gzip"}), {}});
  const auto r = fetch("https://grafana.test/api/search");
  ASSERT_EQ(r.outcome, Outcome::ok) << r.rule << ": " << r.reason;
  EXPECT_EQ(r.body, json);
  EXPECT_EQ(audit_.records().back().bytes, json.size());  // decoded bytes
}

TEST_F(EgressNet, egress_body_gzip_corrupt) {
  auto& g = server("grafana.test");
  std::string z = gzip("hello world");
  z.resize(z.size() - 4);  // truncated trailer
  g.route("/api/search", {http_response(200, z, {"Content-Encoding: gzip"}), {}});
  EXPECT_EQ(fetch("https://grafana.test/api/search").rule, "egress-body-gzip-corrupt");
}

TEST_F(EgressNet, egress_response_encoding_UnknownEncodingRefused) {
  auto& g = server("grafana.test");
  g.route("/api/search", {http_response(200, "x", {"Content-Encoding: br"}), {}});
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::upstream);
  EXPECT_EQ(r.rule, "egress-response-encoding");
}

TEST_F(EgressNet, egress_timeout_total_SlowDrip) {
  auto& g = server("grafana.test");
  // Every byte arrives well within any per-read timeout; only a deadline for
  // the whole exchange stops it.
  g.route("/api/search",
          {http_response(200, std::string(200, 'd')), std::chrono::milliseconds(10)});
  const auto start = client::Clock::now();
  const auto r = fetch("https://grafana.test/api/search", std::chrono::milliseconds(400));
  const auto took = client::Clock::now() - start;
  EXPECT_EQ(r.outcome, Outcome::timeout);
  EXPECT_EQ(r.rule, "egress-timeout-total") << r.reason;
  EXPECT_GE(took, std::chrono::milliseconds(350));
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  EXPECT_EQ(audit_.records().back().rule, "egress-timeout-total");
}

TEST_F(EgressNet, egress_response_headers_too_many_HeaderFlood) {
  auto& g = server("grafana.test");
  std::vector<std::string> flood;
  for (int i = 0; i < 1000; ++i) flood.push_back("X-Flood-" + std::to_string(i) + ": x");
  g.route("/api/search", {http_response(200, "ok", flood), {}});
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::too_large);
  EXPECT_EQ(r.rule, "egress-response-headers-too-many") << r.reason;
}

TEST_F(EgressNet, egress_response_headers_too_large_OneHugeHeader) {
  auto& g = server("grafana.test");
  g.route("/api/search", {http_response(200, "ok", {"X-Big: " + std::string(70000, 'h')}), {}});
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::too_large);
  EXPECT_EQ(r.rule, "egress-response-headers-too-large") << r.reason;
}

TEST_F(EgressNet, egress_response_headers_too_large_EndlessStatusLine) {
  auto& g = server("grafana.test");
  g.route("/api/search", {"HTTP/1.1 200 " + std::string(100000, 'A'), {}});
  EXPECT_EQ(fetch("https://grafana.test/api/search").rule, "egress-response-headers-too-large");
}

TEST_F(EgressNet, egress_response_framing_ContentLengthAndChunked) {
  auto& g = server("grafana.test");
  g.route("/api/search", {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked"
                          "\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                          {}});
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::upstream);
  EXPECT_EQ(r.rule, "egress-response-framing");
}

TEST_F(EgressNet, egress_response_framing_ConflictingContentLengths) {
  auto& g = server("grafana.test");
  g.route("/api/search",
          {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", {}});
  EXPECT_EQ(fetch("https://grafana.test/api/search").rule, "egress-response-framing");
}

TEST_F(EgressNet, egress_response_malformed_NotHttp) {
  auto& g = server("grafana.test");
  g.route("/api/search", {"SSH-2.0-OpenSSH\r\n\r\n", {}});
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::upstream);
  EXPECT_EQ(r.rule, "egress-response-malformed");
}

TEST_F(EgressNet, egress_response_truncated_ShortBody) {
  auto& g = server("grafana.test");
  g.route("/api/search", {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", {}});
  const auto r = fetch("https://grafana.test/api/search");
  EXPECT_EQ(r.outcome, Outcome::upstream);
  EXPECT_EQ(r.rule, "egress-response-truncated");
}

TEST_F(EgressNet, UnframedBodyEndsWithCloseNotify) {
  auto& g = server("grafana.test");
  g.route("/api/search", {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close", {}});
  const auto r = fetch("https://grafana.test/api/search");
  ASSERT_EQ(r.outcome, Outcome::ok) << r.rule << ": " << r.reason;
  EXPECT_EQ(r.body, "until close");
}

TEST_F(EgressNet, P8_HttpErrorStatusIsAResponseNotAFailure) {
  auto& g = server("grafana.test");
  g.route("/api/search", {http_response(503, "down"), {}});
  const auto r = fetch("https://grafana.test/api/search");
  ASSERT_EQ(r.outcome, Outcome::ok);
  EXPECT_EQ(r.http_status, 503);
  EXPECT_EQ(audit_.records().back().http_status, 503);
}

}  // namespace
}  // namespace vitrine::egress::nettest
