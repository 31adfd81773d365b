// libFuzzer target for the HTTP request parser
// (host/server/net/request_parser.h): arbitrary bytes from the network.
// The input is parsed as a stream of pipelined requests twice, once whole
// and once split at a point chosen by the input's first byte, and
// invariants are checked:
//   - feed() never takes more bytes than it was given; need_more takes all;
//   - whole and split feeding agree on every request and on the final
//     state, status and rule;
//   - a complete request's body has exactly its Content-Length (none
//     without one); a refusal has a 4xx/5xx status, a rule id and a message.
// Run: scripts/fuzz.sh [seconds].
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/net/request_parser.h"

namespace net = vitrine::server::net;

namespace {

struct Step {
  net::ParseState state;
  int status;
  std::string rule;
  bool keep_alive;
  std::string method, path, query, body;
  std::map<std::string, std::string> headers;
};

void check_complete(const vitrine::server::Request& r) {
  const auto it = r.headers.find("content-length");
  const std::size_t expected =
      it == r.headers.end()
          ? 0
          : static_cast<std::size_t>(std::strtoull(it->second.c_str(), nullptr, 10));
  if (r.body.size() != expected) std::abort();
  if (r.path.empty() || r.path[0] != '/') std::abort();
  if (r.headers.count("transfer-encoding") != 0) std::abort();
}

// Feeds `pieces` in order as one connection would receive them; returns
// every request and the final state.
std::vector<Step> run(const std::vector<std::string_view>& pieces, const net::ParseLimits& limits) {
  std::vector<Step> steps;
  net::RequestParser parser(limits);
  for (std::string_view piece : pieces) {
    while (true) {
      const net::ParseResult r = parser.feed(piece);
      if (r.consumed > piece.size()) std::abort();
      if (r.state == net::ParseState::need_more) {
        if (r.consumed != piece.size()) std::abort();
        break;
      }
      const vitrine::server::Request& q = parser.request();
      steps.push_back(Step{r.state, r.error.status, r.error.rule, r.keep_alive, q.method, q.path,
                           q.query, q.body, q.headers});
      if (r.state == net::ParseState::error) {
        if (r.error.status < 400 || r.error.status > 599 || r.error.rule.empty() ||
            r.error.message.empty()) {
          std::abort();
        }
        return steps;  // the connection is closed after a refusal
      }
      check_complete(q);
      piece.remove_prefix(r.consumed);
      parser.reset();
      if (piece.empty()) break;
    }
  }
  return steps;
}

bool same(const std::vector<Step>& a, const std::vector<Step>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const Step& x = a[i];
    const Step& y = b[i];
    if (x.state != y.state || x.status != y.status || x.rule != y.rule ||
        x.keep_alive != y.keep_alive || x.method != y.method || x.path != y.path ||
        x.query != y.query || x.body != y.body || x.headers != y.headers) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Small limits so the fuzzer reaches every limit rule with short inputs.
  net::ParseLimits limits;
  limits.max_request_line = 256;
  limits.max_header_fields = 8;
  limits.max_header_name = 32;
  limits.max_header_value = 128;
  limits.max_head = 1024;
  limits.max_body_bytes = 64;
  const std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t cut = all.empty() ? 0 : data[0] % (all.size() + 1);

  const std::vector<Step> whole = run({all}, limits);
  const std::vector<Step> split = run({all.substr(0, cut), all.substr(cut)}, limits);
  if (!same(whole, split)) std::abort();

  // Byte by byte for short inputs: the slowest client must see the same.
  if (all.size() <= 512) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < all.size(); ++i) bytes.push_back(all.substr(i, 1));
    if (!same(whole, run(bytes, limits))) std::abort();
  }
  return 0;
}
