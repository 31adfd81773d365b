#include "fault_responder.h"

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/SecureStreamSocket.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace vitrine::sim {
namespace {

void start(Poco::Net::HTTPServerResponse& response, const Reply& reply, std::uint64_t length) {
  response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status),
                              reason_phrase(reply.status));
  response.setContentType(reply.content_type);
  for (const auto& [k, v] : reply.headers) response.add(k, v);
  response.setContentLength64(static_cast<Poco::Int64>(length));
}

}  // namespace

void interruptible_sleep(int ms, const std::atomic<bool>& stopping) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stopping && std::chrono::steady_clock::now() < until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(20)));
  }
}

void write_reply(Poco::Net::HTTPServerResponse& response, const Reply& reply,
                 const std::optional<FaultRule>& fault, const std::atomic<bool>& stopping) {
  const FaultMode mode = fault ? fault->mode : FaultMode::kLatency;
  if (fault && mode == FaultMode::kTruncated) {
    // A complete HTTP message whose JSON is cut mid-way: the parser must fail,
    // not the transport.
    const auto cut = reply.body.substr(0, reply.body.size() / 2);
    start(response, reply, cut.size());
    response.send() << cut << std::flush;
    return;
  }
  if (fault && mode == FaultMode::kOversized) {
    // Valid-looking JSON of exactly size_bytes, streamed so the simulator
    // itself never holds it in memory.
    const std::string head = "{\"padding\":\"";
    const std::string tail = "\"}";
    const std::uint64_t total =
        std::max<std::uint64_t>(fault->size_bytes, head.size() + tail.size());
    Reply shaped = reply;
    shaped.status = 200;
    shaped.content_type = "application/json";
    start(response, shaped, total);
    auto& out = response.send();
    out << head;
    const std::string chunk(64 * 1024, 'x');
    std::uint64_t left = total - head.size() - tail.size();
    while (left > 0 && !stopping && out.good()) {
      const auto n = std::min<std::uint64_t>(left, chunk.size());
      out.write(chunk.data(), static_cast<std::streamsize>(n));
      left -= n;
    }
    out << tail << std::flush;
    return;
  }
  if (fault && mode == FaultMode::kSlowDrip) {
    start(response, reply, reply.body.size());
    auto& out = response.send();
    for (char c : reply.body) {
      if (stopping || !out.good()) return;
      out.put(c);
      out.flush();
      interruptible_sleep(fault->drip_ms, stopping);
    }
    return;
  }
  start(response, reply, reply.body.size());
  response.send() << reply.body << std::flush;
}

void reset_connection(Poco::Net::HTTPServerRequest& request) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
  if (impl == nullptr) return;
  Poco::Net::StreamSocket& socket = impl->socket();
  socket.setLinger(true, 0);
  try {
    Poco::Net::SecureStreamSocket secure(socket);
    secure.abort();  // close the TCP connection without a TLS shutdown
  } catch (const Poco::InvalidArgumentException&) {
    socket.close();  // plain socket: with linger 0 the close is an RST
  }
}

}  // namespace vitrine::sim
