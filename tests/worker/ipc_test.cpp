// The worker IPC codec: every message round-trips, and the decoder refuses
// anything that is not exactly a well-formed frame (P8: a plugin that
// speaks garbage cannot take the host down).
#include "worker/ipc.h"

#include <gtest/gtest.h>

namespace vitrine::worker::ipc {
namespace {

ipc::Render sample_render() {
  Render r;
  r.macro_key = "hello";
  r.params = {{"name", "Ada"}, {"count", "3"}};
  r.space_key = "ops";
  r.page_id = "runbook";
  r.locale = "en-GB";
  r.timezone = "Europe/Berlin";
  r.theme = "dark";
  r.time_from = "now-6h";
  r.time_to = "now";
  r.grafana_base_url = "https://acme.grafana.net";
  r.timeout_ms = 1234;
  r.now_ms = -5;
  return r;
}

// Splits one encoded frame into header and payload.
std::string payload_of(const std::string& frame, FrameHeader& header) {
  FrameReader reader;
  reader.feed(frame);
  std::string payload;
  DecodeError error;
  EXPECT_EQ(reader.next(header, payload, error), FrameReader::State::frame) << error;
  EXPECT_EQ(reader.buffered(), 0u);
  return payload;
}

TEST(WorkerIpc, RenderRoundTrips) {
  std::string frame;
  encode(frame, 77, sample_render());
  FrameHeader h;
  std::string payload = payload_of(frame, h);
  EXPECT_EQ(h.type, MessageType::render);
  EXPECT_EQ(h.request_id, 77u);
  Render back;
  DecodeError error;
  ASSERT_TRUE(decode(payload, back, error)) << error;
  EXPECT_EQ(back.params, sample_render().params);
  EXPECT_EQ(back.grafana_base_url, "https://acme.grafana.net");
  EXPECT_EQ(back.timeout_ms, 1234);
  EXPECT_EQ(back.now_ms, -5);
}

TEST(WorkerIpc, ParamsOutOfOrderOrDuplicatedAreRefused) {
  // Found by the fuzzer: a decoder that accepts params in any order yields a
  // message whose re-encoding differs from the bytes it came from. Only the
  // canonical (strictly ascending) order is accepted.
  Render two;
  two.macro_key = "m";
  two.params = {{"a", "1"}, {"b", "2"}};
  std::string frame;
  encode(frame, 1, two);
  FrameHeader h;
  std::string payload = payload_of(frame, h);
  const std::string a = std::string("\x01\0\0\0a", 5) + std::string("\x01\0\0\0\x31", 5);
  const std::string b = std::string("\x01\0\0\0b", 5) + std::string("\x01\0\0\0\x32", 5);
  const auto at = payload.find(a);
  ASSERT_NE(at, std::string::npos) << "layout assumption: u32 length + bytes";
  Render back;
  DecodeError error;
  ASSERT_TRUE(decode(payload, back, error)) << error;
  std::string swapped = payload;
  swapped.replace(at, a.size() + b.size(), b + a);
  EXPECT_FALSE(decode(swapped, back, error));
  EXPECT_NE(error.find("ascending"), std::string::npos) << error;
  std::string duplicated = payload;
  duplicated.replace(at, a.size() + b.size(), a + a);
  EXPECT_FALSE(decode(duplicated, back, error));
}

TEST(WorkerIpc, CapCallAndReplyRoundTrip) {
  CapCall c;
  c.op = CapOp::http_get;
  c.url = "https://acme.grafana.net/api/search";
  c.headers = {{"Accept", "application/json"}};
  c.timeout_ms = 500;
  std::string frame;
  encode(frame, 3, c);
  FrameHeader h;
  CapCall back;
  DecodeError error;
  ASSERT_TRUE(decode(payload_of(frame, h), back, error)) << error;
  EXPECT_EQ(back.headers, c.headers);
  EXPECT_EQ(back.timeout_ms, 500u);

  CapReply r;
  r.status = 2;
  r.rule = "header-forbidden";
  r.body = std::string(100000, 'b');
  r.stored_at_ms = 99;
  frame.clear();
  encode(frame, 3, r);
  CapReply rback;
  ASSERT_TRUE(decode(payload_of(frame, h), rback, error)) << error;
  EXPECT_EQ(rback.rule, "header-forbidden");
  EXPECT_EQ(rback.body.size(), 100000u);
  EXPECT_EQ(rback.stored_at_ms, 99);
}

TEST(WorkerIpc, EveryTruncationIsRefused) {
  std::string frame;
  encode(frame, 1, sample_render());
  const std::string payload = frame.substr(kHeaderSize);
  for (size_t n = 0; n < payload.size(); ++n) {
    Render r;
    DecodeError error;
    EXPECT_FALSE(decode(std::string_view(payload).substr(0, n), r, error)) << n;
    EXPECT_FALSE(error.empty());
  }
}

TEST(WorkerIpc, TrailingBytesAreRefused) {
  std::string frame;
  encode(frame, 1, Log{1, "x"});
  std::string payload = frame.substr(kHeaderSize) + "!";
  Log l;
  DecodeError error;
  EXPECT_FALSE(decode(payload, l, error));
  EXPECT_NE(error.find("trailing"), std::string::npos);
}

TEST(WorkerIpc, LengthsPastThePayloadAreRefusedWithoutAllocating) {
  // A string claiming 4 GiB inside a 10-byte payload.
  std::string payload("\x01\x00\x00\x00\xff\xff\xff\xf0xx", 10);
  Log l;
  DecodeError error;
  EXPECT_FALSE(decode(payload, l, error));
}

TEST(WorkerIpc, HeaderChecks) {
  std::string frame;
  encode(frame, 1, Log{1, "x"});
  DecodeError error;
  ASSERT_TRUE(decode_header(std::string_view(frame).substr(0, kHeaderSize), error));

  std::string bad = frame;
  bad[0] = 'X';
  EXPECT_FALSE(decode_header(std::string_view(bad).substr(0, kHeaderSize), error));
  EXPECT_EQ(error, "bad frame magic");

  bad = frame;
  bad[4] = 9;  // version
  error.clear();
  EXPECT_FALSE(decode_header(std::string_view(bad).substr(0, kHeaderSize), error));

  bad = frame;
  bad[6] = 99;  // type
  error.clear();
  EXPECT_FALSE(decode_header(std::string_view(bad).substr(0, kHeaderSize), error));

  bad = frame;
  bad[15] = '\x7f';  // length above the cap
  error.clear();
  EXPECT_FALSE(decode_header(std::string_view(bad).substr(0, kHeaderSize), error));
  EXPECT_NE(error.find("exceeds"), std::string::npos);
}

TEST(WorkerIpc, FrameReaderReassemblesByteByByte) {
  std::string stream;
  encode(stream, 1, sample_render());
  encode(stream, 2, Log{3, "second"});
  FrameReader reader;
  FrameHeader h;
  std::string payload;
  DecodeError error;
  std::vector<uint32_t> ids;
  for (char c : stream) {
    reader.feed(std::string_view(&c, 1));
    while (reader.next(h, payload, error) == FrameReader::State::frame) ids.push_back(h.request_id);
  }
  EXPECT_EQ(ids, (std::vector<uint32_t>{1, 2}));
  EXPECT_TRUE(error.empty());
}

TEST(WorkerIpc, UnknownCapabilityOpIsRefused) {
  CapCall c;
  std::string frame;
  encode(frame, 1, c);
  std::string payload = frame.substr(kHeaderSize);
  payload[0] = 42;
  CapCall back;
  DecodeError error;
  EXPECT_FALSE(decode(payload, back, error));
}

}  // namespace
}  // namespace vitrine::worker::ipc
