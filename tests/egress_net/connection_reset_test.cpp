// Which status a connection that ends early gives a plugin, by the ABI's own
// definitions (plugin_api/vitrine/plugin.h, capabilities.h):
// VITRINE_E_UNAVAILABLE is "upstream unreachable: DNS, connect, TLS, reset",
// VITRINE_E_UPSTREAM "upstream answered, but not usably". A connection reset
// or closed before one byte of a response arrived is the first; a response
// cut short is the second. docs/plugin-abi.md documents the same split.
#include <chrono>
#include <cstring>

#include "egress/client/http_capability.h"
#include "net_fixture.h"

namespace vitrine::egress::nettest {
namespace {

using client::http_get;

class ConnectionEnds : public CapabilityCall {};

TEST_F(ConnectionEnds, egress_connection_reset_RstBeforeAnyResponseIsUnavailable) {
  Route rst;
  rst.reset = true;  // no bytes, then an RST
  server("grafana.test").route("/api/search", rst);
  ASSERT_EQ(get("https://grafana.test/api/search"), VITRINE_E_UNAVAILABLE)
      << str(response_.rule) << ": " << str(response_.reason);
  EXPECT_EQ(str(response_.rule), "egress-connection-reset");
  EXPECT_EQ(response_.http_status, 0);
}

TEST_F(ConnectionEnds, egress_connection_reset_CloseWithoutAnswerIsUnavailable) {
  // close_notify and FIN, but no response: Grafana did not answer.
  server("grafana.test").route("/api/search", Route{});
  ASSERT_EQ(get("https://grafana.test/api/search"), VITRINE_E_UNAVAILABLE)
      << str(response_.rule) << ": " << str(response_.reason);
  EXPECT_EQ(str(response_.rule), "egress-connection-reset");
  EXPECT_NE(str(response_.reason).find("without answering"), std::string::npos)
      << str(response_.reason);
}

TEST_F(ConnectionEnds, egress_response_truncated_ResponseCutShortIsUpstream) {
  Route cut;
  cut.raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort";
  server("grafana.test").route("/api/search", cut);
  ASSERT_EQ(get("https://grafana.test/api/search"), VITRINE_E_UPSTREAM)
      << str(response_.rule) << ": " << str(response_.reason);
}

}  // namespace
}  // namespace vitrine::egress::nettest
