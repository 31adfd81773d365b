#include "worker/ipc.h"

#include <cstring>

namespace vitrine::worker::ipc {
namespace {

// Per-field caps: no field may claim more than its frame could hold, and
// small fields stay small.
constexpr uint32_t kMaxShort = 4096;             // keys, names, rules, urls
constexpr uint32_t kMaxLong = kMaxFramePayload;  // html, bodies, values
constexpr uint32_t kMaxParams = 256;
constexpr uint32_t kMaxHeaders = 64;

// ---------------------------------------------------------------- writer

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void u16(uint16_t v) { put(v, 2); }
  void u32(uint32_t v) { put(v, 4); }
  void i32(int32_t v) { put(static_cast<uint32_t>(v), 4); }
  void u64(uint64_t v) { put(v, 8); }
  void i64(int64_t v) { put(static_cast<uint64_t>(v), 8); }
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.append(s.data(), s.size());
  }

 private:
  void put(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string& out_;
};

// Writes the header with a placeholder length, lets `body` append the
// payload, then patches the length in.
template <typename Body>
void frame(std::string& out, MessageType type, uint32_t request_id, Body&& body) {
  const size_t start = out.size();
  Writer w(out);
  w.u32(kMagic);
  w.u16(kIpcVersion);
  w.u16(static_cast<uint16_t>(type));
  w.u32(request_id);
  w.u32(0);
  body(w);
  const auto len = static_cast<uint32_t>(out.size() - start - kHeaderSize);
  for (int i = 0; i < 4; ++i) {
    out[start + 12 + static_cast<size_t>(i)] = static_cast<char>((len >> (8 * i)) & 0xff);
  }
}

// ---------------------------------------------------------------- reader

class Reader {
 public:
  Reader(std::string_view in, DecodeError& error) : in_(in), error_(error) {}

  bool u16(uint16_t& v) { return get(v, 2); }
  bool u32(uint32_t& v) { return get(v, 4); }
  bool i32(int32_t& v) {
    uint32_t u = 0;
    if (!get(u, 4)) return false;
    v = static_cast<int32_t>(u);
    return true;
  }
  bool u64(uint64_t& v) { return get(v, 8); }
  bool i64(int64_t& v) {
    uint64_t u = 0;
    if (!get(u, 8)) return false;
    v = static_cast<int64_t>(u);
    return true;
  }
  bool str(std::string& s, uint32_t max, const char* field) {
    uint32_t len = 0;
    if (!u32(len)) return false;
    if (len > max) return fail(std::string(field) + " longer than its limit");
    if (len > in_.size() - pos_) return fail(std::string(field) + " runs past the payload");
    s.assign(in_.data() + pos_, len);
    pos_ += len;
    return true;
  }
  bool done() {
    if (pos_ != in_.size()) return fail("trailing bytes after the message");
    return true;
  }
  bool fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return false;
  }

 private:
  template <typename T>
  bool get(T& v, size_t bytes) {
    if (in_.size() - pos_ < bytes) return fail("payload ends inside a field");
    uint64_t acc = 0;
    for (size_t i = 0; i < bytes; ++i) {
      acc |= static_cast<uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    }
    v = static_cast<T>(acc);
    pos_ += bytes;
    return true;
  }
  std::string_view in_;
  size_t pos_ = 0;
  DecodeError& error_;
};

bool known_type(uint16_t t) {
  return t >= static_cast<uint16_t>(MessageType::hello) &&
         t <= static_cast<uint16_t>(MessageType::log);
}

}  // namespace

// ------------------------------------------------------------- encoding

void encode(std::string& out, uint32_t id, const Hello& m) {
  frame(out, MessageType::hello, id, [&](Writer& w) {
    w.str(m.manifest_path);
    w.str(m.space_key);
    w.u64(m.address_space_bytes);
    w.u32(m.cpu_seconds);
    w.u32(m.max_open_files);
    w.u32(m.flags);
  });
}

void encode(std::string& out, uint32_t id, const Ready& m) {
  frame(out, MessageType::ready, id, [&](Writer& w) {
    w.i32(m.ok);
    w.str(m.rule);
    w.str(m.message);
    w.str(m.sandbox);
  });
}

void encode(std::string& out, uint32_t id, const Render& m) {
  frame(out, MessageType::render, id, [&](Writer& w) {
    w.str(m.macro_key);
    w.u32(static_cast<uint32_t>(m.params.size()));
    for (const auto& [k, v] : m.params) {
      w.str(k);
      w.str(v);
    }
    w.str(m.space_key);
    w.str(m.page_id);
    w.str(m.locale);
    w.str(m.timezone);
    w.str(m.theme);
    w.str(m.time_from);
    w.str(m.time_to);
    w.str(m.grafana_base_url);
    w.i64(m.timeout_ms);
    w.i64(m.now_ms);
  });
}

void encode(std::string& out, uint32_t id, const Result& m) {
  frame(out, MessageType::result, id, [&](Writer& w) {
    w.i32(m.status);
    w.str(m.html);
    w.str(m.error);
    w.str(m.rule);
    w.u32(m.cache_ttl_s);
    w.u32(m.html_truncated);
  });
}

void encode(std::string& out, uint32_t id, const CapCall& m) {
  frame(out, MessageType::cap_call, id, [&](Writer& w) {
    w.u32(static_cast<uint32_t>(m.op));
    w.str(m.url);
    w.u32(static_cast<uint32_t>(m.headers.size()));
    for (const auto& [k, v] : m.headers) {
      w.str(k);
      w.str(v);
    }
    w.u32(m.timeout_ms);
    w.str(m.key);
    w.str(m.data);
    w.u32(m.ttl_s);
  });
}

void encode(std::string& out, uint32_t id, const CapReply& m) {
  frame(out, MessageType::cap_reply, id, [&](Writer& w) {
    w.i32(m.status);
    w.i32(m.http_status);
    w.str(m.content_type);
    w.str(m.body);
    w.str(m.final_url);
    w.str(m.rule);
    w.str(m.reason);
    w.i64(m.stored_at_ms);
    w.i32(m.is_stale);
    w.i32(m.licensed);
  });
}

void encode(std::string& out, uint32_t id, const Log& m) {
  frame(out, MessageType::log, id, [&](Writer& w) {
    w.i32(m.level);
    w.str(m.message);
  });
}

// ------------------------------------------------------------- decoding

std::optional<FrameHeader> decode_header(std::string_view bytes, DecodeError& error) {
  if (bytes.size() != kHeaderSize) {
    error = "frame header must be 16 bytes";
    return std::nullopt;
  }
  Reader r(bytes, error);
  uint32_t magic = 0;
  uint16_t type = 0;
  FrameHeader h;
  if (!r.u32(magic) || !r.u16(h.version) || !r.u16(type) || !r.u32(h.request_id) ||
      !r.u32(h.length) || !r.done()) {
    return std::nullopt;
  }
  if (magic != kMagic) {
    error = "bad frame magic";
    return std::nullopt;
  }
  if (h.version != kIpcVersion) {
    error = "unsupported IPC version " + std::to_string(h.version);
    return std::nullopt;
  }
  if (!known_type(type)) {
    error = "unknown message type " + std::to_string(type);
    return std::nullopt;
  }
  if (h.length > kMaxFramePayload) {
    error = "frame payload of " + std::to_string(h.length) + " bytes exceeds the limit";
    return std::nullopt;
  }
  h.type = static_cast<MessageType>(type);
  return h;
}

bool decode(std::string_view payload, Hello& m, DecodeError& error) {
  Reader r(payload, error);
  return r.str(m.manifest_path, kMaxShort, "manifest_path") &&
         r.str(m.space_key, kMaxShort, "space_key") && r.u64(m.address_space_bytes) &&
         r.u32(m.cpu_seconds) && r.u32(m.max_open_files) && r.u32(m.flags) && r.done();
}

bool decode(std::string_view payload, Ready& m, DecodeError& error) {
  Reader r(payload, error);
  return r.i32(m.ok) && r.str(m.rule, kMaxShort, "rule") &&
         r.str(m.message, kMaxShort, "message") && r.str(m.sandbox, kMaxShort, "sandbox") &&
         r.done();
}

bool decode(std::string_view payload, Render& m, DecodeError& error) {
  Reader r(payload, error);
  uint32_t count = 0;
  if (!r.str(m.macro_key, kMaxShort, "macro_key") || !r.u32(count)) return false;
  if (count > kMaxParams) return r.fail("too many parameters");
  m.params.clear();
  for (uint32_t i = 0; i < count; ++i) {
    std::string k, v;
    if (!r.str(k, kMaxShort, "param name") || !r.str(v, kMaxLong, "param value")) return false;
    // Canonical form only: names strictly ascending (as the encoder writes
    // them from the sorted map). Anything else, duplicates included, would
    // decode to a message that re-encodes to other bytes.
    if (!m.params.empty() && k <= m.params.rbegin()->first) {
      return r.fail("parameter names must be strictly ascending (duplicate or out of order)");
    }
    m.params.emplace_hint(m.params.end(), std::move(k), std::move(v));
  }
  return r.str(m.space_key, kMaxShort, "space_key") && r.str(m.page_id, kMaxShort, "page_id") &&
         r.str(m.locale, kMaxShort, "locale") && r.str(m.timezone, kMaxShort, "timezone") &&
         r.str(m.theme, kMaxShort, "theme") && r.str(m.time_from, kMaxShort, "time_from") &&
         r.str(m.time_to, kMaxShort, "time_to") &&
         r.str(m.grafana_base_url, kMaxShort, "grafana_base_url") && r.i64(m.timeout_ms) &&
         r.i64(m.now_ms) && r.done();
}

bool decode(std::string_view payload, Result& m, DecodeError& error) {
  Reader r(payload, error);
  return r.i32(m.status) && r.str(m.html, kMaxLong, "html") && r.str(m.error, kMaxLong, "error") &&
         r.str(m.rule, kMaxShort, "rule") && r.u32(m.cache_ttl_s) && r.u32(m.html_truncated) &&
         r.done();
}

bool decode(std::string_view payload, CapCall& m, DecodeError& error) {
  Reader r(payload, error);
  uint32_t op = 0;
  uint32_t count = 0;
  if (!r.u32(op)) return false;
  if (op < static_cast<uint32_t>(CapOp::http_get) ||
      op > static_cast<uint32_t>(CapOp::is_licensed)) {
    return r.fail("unknown capability operation " + std::to_string(op));
  }
  m.op = static_cast<CapOp>(op);
  if (!r.str(m.url, kMaxShort, "url") || !r.u32(count)) return false;
  if (count > kMaxHeaders) return r.fail("too many headers");
  m.headers.clear();
  for (uint32_t i = 0; i < count; ++i) {
    std::string k, v;
    if (!r.str(k, kMaxShort, "header name") || !r.str(v, kMaxShort, "header value")) return false;
    m.headers.emplace_back(std::move(k), std::move(v));
  }
  return r.u32(m.timeout_ms) && r.str(m.key, kMaxShort, "key") && r.str(m.data, kMaxLong, "data") &&
         r.u32(m.ttl_s) && r.done();
}

bool decode(std::string_view payload, CapReply& m, DecodeError& error) {
  Reader r(payload, error);
  return r.i32(m.status) && r.i32(m.http_status) &&
         r.str(m.content_type, kMaxShort, "content_type") && r.str(m.body, kMaxLong, "body") &&
         r.str(m.final_url, kMaxLong, "final_url") && r.str(m.rule, kMaxShort, "rule") &&
         r.str(m.reason, kMaxLong, "reason") && r.i64(m.stored_at_ms) && r.i32(m.is_stale) &&
         r.i32(m.licensed) && r.done();
}

bool decode(std::string_view payload, Log& m, DecodeError& error) {
  Reader r(payload, error);
  return r.i32(m.level) && r.str(m.message, kMaxShort, "message") && r.done();
}

FrameReader::State FrameReader::next(FrameHeader& header, std::string& payload,
                                     DecodeError& error) {
  if (buffered() < kHeaderSize) return State::need_more;
  std::string_view avail(buffer_.data() + start_, buffered());
  auto h = decode_header(avail.substr(0, kHeaderSize), error);
  if (!h) return State::error;
  if (avail.size() - kHeaderSize < h->length) return State::need_more;
  header = *h;
  payload.assign(avail.data() + kHeaderSize, h->length);
  start_ += kHeaderSize + h->length;
  // Compact once the consumed prefix dominates, so the buffer stays bounded
  // by one frame plus one read.
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ > (1u << 16) && start_ * 2 > buffer_.size()) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  return State::frame;
}

}  // namespace vitrine::worker::ipc
