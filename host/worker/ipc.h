// The wire format between the host and a plugin worker process
// (docs/security/isolation.md, "IPC").
//
// A frame is a fixed 16-byte header followed by a payload:
//
//   offset size  field
//   0      4     magic       "VTWK" (0x4B575456, little-endian)
//   4      2     version     kIpcVersion
//   6      2     type        MessageType
//   8      4     request_id  render id, or capability call id
//   12     4     length      payload bytes, <= kMaxFramePayload
//
// Payload fields are little-endian integers and length-prefixed byte
// strings (u32 length + bytes). Everything read from the other side is
// untrusted: the decoder checks every length against the bytes that are
// actually there and against a per-field cap, and refuses trailing bytes.
// Nothing here allocates more than the frame that was received.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vitrine::worker::ipc {

inline constexpr uint32_t kMagic = 0x4B575456;  // "VTWK"
inline constexpr uint16_t kIpcVersion = 1;
inline constexpr size_t kHeaderSize = 16;
// Large enough for the 4 MiB HTML cap and a fetched body; a frame above it
// is a protocol violation and ends the worker.
inline constexpr uint32_t kMaxFramePayload = 24u << 20;

enum class MessageType : uint16_t {
  hello = 1,      // host -> worker: what to load and how to lock down
  ready = 2,      // worker -> host: loaded (or refused) and sandbox report
  render = 3,     // host -> worker: one macro
  result = 4,     // worker -> host: the macro's answer
  cap_call = 5,   // worker -> host: a capability call
  cap_reply = 6,  // host -> worker: its answer
  log = 7,        // worker -> host: a log line (no reply)
};

enum class CapOp : uint32_t {
  http_get = 1,
  cache_get = 2,
  cache_put = 3,
  asset_put = 4,
  is_licensed = 5,
};

struct FrameHeader {
  uint16_t version = kIpcVersion;
  MessageType type = MessageType::hello;
  uint32_t request_id = 0;
  uint32_t length = 0;
};

// ------------------------------------------------------------- messages

struct Hello {
  std::string manifest_path;
  std::string space_key;
  uint64_t address_space_bytes = 0;  // 0 = no RLIMIT_AS
  uint32_t cpu_seconds = 0;          // 0 = no RLIMIT_CPU
  uint32_t max_open_files = 0;       // 0 = leave RLIMIT_NOFILE
  uint32_t flags = 0;                // kHello* below
};
inline constexpr uint32_t kHelloSandbox = 1;       // apply seccomp + no_new_privs + rlimits
inline constexpr uint32_t kHelloNetNamespace = 2;  // try unshare(CLONE_NEWNET)

// Also a zygote's answer to a fork request (a hello with the child's socket
// attached): ok = 1 and the child's pid in decimal in `message`, or ok = 0
// with rule `worker-start`.
struct Ready {
  int32_t ok = 0;
  std::string rule;     // on refusal: the loader's rule id
  std::string message;  // on refusal: the loader's message
  std::string sandbox;  // what was applied, e.g. "no_new_privs seccomp netns rlimits"
};

struct Render {
  std::string macro_key;
  std::map<std::string, std::string> params;
  std::string space_key;
  std::string page_id;
  std::string locale;
  std::string timezone;
  std::string theme;
  std::string time_from;
  std::string time_to;
  std::string grafana_base_url;
  int64_t timeout_ms = 0;
  int64_t now_ms = 0;
};

struct Result {
  int32_t status = 0;
  std::string html;
  std::string error;
  std::string rule;
  uint32_t cache_ttl_s = 0;
  uint32_t html_truncated = 0;
};

struct CapCall {
  CapOp op = CapOp::http_get;
  // http_get
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  uint32_t timeout_ms = 0;
  // cache_get / cache_put: key; cache_put: value (data), ttl_s
  // asset_put: content_type (key), data
  // is_licensed: feature (key)
  std::string key;
  std::string data;
  uint32_t ttl_s = 0;
};

struct CapReply {
  int32_t status = 0;
  // http_get
  int32_t http_status = 0;
  std::string content_type;
  std::string body;  // http body, cache value or asset url
  std::string final_url;
  std::string rule;
  std::string reason;
  // cache_get
  int64_t stored_at_ms = 0;
  int32_t is_stale = 0;
  // is_licensed
  int32_t licensed = 0;
};

struct Log {
  int32_t level = 0;
  std::string message;
};

// ------------------------------------------------------------- encoding

// Appends a complete frame (header + payload) to `out`.
void encode(std::string& out, uint32_t request_id, const Hello& m);
void encode(std::string& out, uint32_t request_id, const Ready& m);
void encode(std::string& out, uint32_t request_id, const Render& m);
void encode(std::string& out, uint32_t request_id, const Result& m);
void encode(std::string& out, uint32_t request_id, const CapCall& m);
void encode(std::string& out, uint32_t request_id, const CapReply& m);
void encode(std::string& out, uint32_t request_id, const Log& m);

// ------------------------------------------------------------- decoding

// Why a frame or payload was refused; empty = fine.
using DecodeError = std::string;

// Parses a header from exactly kHeaderSize bytes. Checks magic, version,
// type and the payload cap before anything is allocated.
std::optional<FrameHeader> decode_header(std::string_view bytes, DecodeError& error);

// Each decodes a whole payload; false (with `error`) on any short field,
// over-long field, bad enum or trailing byte.
bool decode(std::string_view payload, Hello& out, DecodeError& error);
bool decode(std::string_view payload, Ready& out, DecodeError& error);
bool decode(std::string_view payload, Render& out, DecodeError& error);
bool decode(std::string_view payload, Result& out, DecodeError& error);
bool decode(std::string_view payload, CapCall& out, DecodeError& error);
bool decode(std::string_view payload, CapReply& out, DecodeError& error);
bool decode(std::string_view payload, Log& out, DecodeError& error);

// Accumulates bytes from a stream socket and cuts them into frames.
class FrameReader {
 public:
  enum class State { frame, need_more, error };

  // Appends received bytes.
  void feed(std::string_view bytes) { buffer_.append(bytes.data(), bytes.size()); }

  // Takes the next complete frame off the buffer. On State::error the
  // stream is unusable (`error` says why) and must be closed.
  State next(FrameHeader& header, std::string& payload, DecodeError& error);

  size_t buffered() const { return buffer_.size() - start_; }

 private:
  std::string buffer_;
  size_t start_ = 0;
};

}  // namespace vitrine::worker::ipc
