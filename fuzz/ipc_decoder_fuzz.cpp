// libFuzzer target for the worker IPC decoder (host/worker/ipc.h): the bytes
// a compromised worker could write on its socket. The stream is cut into
// frames by FrameReader and every payload goes through every message
// decoder; a decoded message is re-encoded and must decode to the same
// bytes. Run: scripts/fuzz.sh [seconds].
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "worker/ipc.h"

namespace ipc = vitrine::worker::ipc;

namespace {

// Decodes `payload` as T; when it decodes, re-encoding must round-trip.
template <typename T>
void check(std::string_view payload) {
  T message;
  ipc::DecodeError error;
  if (!ipc::decode(payload, message, error)) {
    if (error.empty()) std::abort();  // every refusal says why
    return;
  }
  std::string frame;
  ipc::encode(frame, 7, message);
  if (frame.size() < ipc::kHeaderSize ||
      std::string_view(frame).substr(ipc::kHeaderSize) != payload) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Every payload decoder on the raw input.
  check<ipc::Hello>(bytes);
  check<ipc::Ready>(bytes);
  check<ipc::Render>(bytes);
  check<ipc::Result>(bytes);
  check<ipc::CapCall>(bytes);
  check<ipc::CapReply>(bytes);
  check<ipc::Log>(bytes);
  // The stream path, fed in uneven chunks as a socket would deliver it.
  ipc::FrameReader reader;
  size_t pos = 0;
  size_t chunk = 1;
  while (pos < size) {
    const size_t n = std::min(chunk, size - pos);
    reader.feed(bytes.substr(pos, n));
    pos += n;
    chunk = chunk * 3 + 1;
    ipc::FrameHeader header;
    std::string payload;
    ipc::DecodeError error;
    for (;;) {
      auto state = reader.next(header, payload, error);
      if (state != ipc::FrameReader::State::frame) break;
      if (payload.size() != header.length) std::abort();
      switch (header.type) {
        case ipc::MessageType::hello:
          check<ipc::Hello>(payload);
          break;
        case ipc::MessageType::ready:
          check<ipc::Ready>(payload);
          break;
        case ipc::MessageType::render:
          check<ipc::Render>(payload);
          break;
        case ipc::MessageType::result:
          check<ipc::Result>(payload);
          break;
        case ipc::MessageType::cap_call:
          check<ipc::CapCall>(payload);
          break;
        case ipc::MessageType::cap_reply:
          check<ipc::CapReply>(payload);
          break;
        case ipc::MessageType::log:
          check<ipc::Log>(payload);
          break;
      }
    }
    if (!error.empty()) break;
  }
  return 0;
}
