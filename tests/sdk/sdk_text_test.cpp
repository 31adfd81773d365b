// The SDK's buffer, escaping and URL encoding (vitrine/sdk/buf.h,
// vitrine/sdk/escape.h): output that keeps HTML and URLs intact whatever
// Grafana or a page author sends, and a buffer that cannot grow past its
// limit.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "vitrine/sdk/buf.h"
#include "vitrine/sdk/escape.h"

namespace {

class Buf {
 public:
  explicit Buf(size_t max = 0) { vsdk_buf_init(&b_, max); }
  ~Buf() { vsdk_buf_free(&b_); }
  vsdk_buf* operator&() { return &b_; }  // NOLINT: lets tests pass &buf
  std::string str() const { return std::string(b_.data == nullptr ? "" : b_.data, b_.len); }
  const vsdk_buf& raw() const { return b_; }

 private:
  vsdk_buf b_;
};

// A host sink that collects what is written, refusing past `limit` bytes.
struct CollectSink {
  vitrine_sink sink{sizeof(vitrine_sink), this, &CollectSink::write};
  std::string text;
  size_t limit = SIZE_MAX;
  static vitrine_status write(vitrine_sink* s, const char* data, size_t len) {
    auto* self = static_cast<CollectSink*>(s->host_data);
    if (self->text.size() + len > self->limit) return VITRINE_E_TOO_LARGE;
    self->text.append(data, len);
    return VITRINE_OK;
  }
};

std::string html(std::string_view s) {
  Buf b;
  EXPECT_EQ(vsdk_html_escape(&b, s.data(), s.size()), VITRINE_OK);
  return b.str();
}

TEST(SdkBuf, GrowsKeepsNulTerminationAndStopsAtItsLimit) {
  Buf b(10);
  EXPECT_STREQ(vsdk_buf_cstr(&b), "") << "an empty buffer reads as \"\"";
  EXPECT_EQ(vsdk_buf_puts(&b, "hello"), VITRINE_OK);
  EXPECT_EQ(vsdk_buf_putc(&b, ' '), VITRINE_OK);
  EXPECT_STREQ(vsdk_buf_cstr(&b), "hello ");
  EXPECT_EQ(vsdk_buf_puts(&b, "world"), VITRINE_E_TOO_LARGE) << "11 bytes > limit 10";
  EXPECT_STREQ(vsdk_buf_cstr(&b), "hello ") << "a failed append leaves the content intact";
  EXPECT_EQ(vsdk_buf_puts(&b, "!"), VITRINE_E_TOO_LARGE) << "the failure is sticky";
  EXPECT_EQ(b.raw().failed, VITRINE_E_TOO_LARGE);
  CollectSink sink;
  EXPECT_EQ(vsdk_buf_to_sink(&b, &sink.sink), VITRINE_E_TOO_LARGE);
  EXPECT_EQ(sink.text, "") << "a failed buffer writes nothing";
  vsdk_buf_clear(&b);
  EXPECT_EQ(vsdk_buf_puts(&b, "0123456789"), VITRINE_OK) << "exactly the limit fits";
  EXPECT_EQ(vsdk_buf_to_sink(&b, &sink.sink), VITRINE_OK);
  EXPECT_EQ(sink.text, "0123456789");
  EXPECT_EQ(vsdk_buf_to_sink(&b, nullptr), VITRINE_E_INVALID);
}

TEST(SdkBuf, HoldsLargeAndBinaryContent) {
  Buf b;
  std::string big(1 << 20, 'x');
  big[5] = '\0';
  EXPECT_EQ(vsdk_buf_append(&b, big.data(), big.size()), VITRINE_OK);
  EXPECT_EQ(vsdk_buf_append(&b, big.data(), big.size()), VITRINE_OK);
  EXPECT_EQ(b.str(), big + big);
  vsdk_buf raw;
  vsdk_buf_init(&raw, 0);
  vsdk_buf_free(&raw);
  vsdk_buf_free(&raw);  // twice is fine
  EXPECT_EQ(raw.max, VSDK_BUF_DEFAULT_MAX);
}

TEST(SdkEscape, HtmlEscapesTheFiveSpecialsAndNul) {
  EXPECT_EQ(html("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  EXPECT_EQ(html(std::string("a\0b", 3)),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(html("plain \xC3\xA9 text"), "plain \xC3\xA9 text") << "UTF-8 passes through";
  EXPECT_EQ(html(""), "");
  EXPECT_EQ(html("&&"), "&amp;&amp;");
}

TEST(SdkEscape, AttributeEscapingCoversBothQuotes) {
  Buf b;
  const std::string_view v = "\" onmouseover='alert(1)' x=\"";
  ASSERT_EQ(vsdk_attr_escape(&b, v.data(), v.size()), VITRINE_OK);
  EXPECT_EQ(b.str().find_first_of("\"'<>"), std::string::npos) << b.str();
  EXPECT_EQ(b.str(), "&quot; onmouseover=&#39;alert(1)&#39; x=&quot;");
}

TEST(SdkEscape, SinkVariantsWriteTheSameAndReportSinkFailures) {
  CollectSink sink;
  const std::string_view t = "1 < 2 & 'x'";
  EXPECT_EQ(vsdk_html_escape_sink(&sink.sink, t.data(), t.size()), VITRINE_OK);
  EXPECT_EQ(sink.text, html(t));
  CollectSink attr;
  EXPECT_EQ(vsdk_attr_escape_sink(&attr.sink, t.data(), t.size()), VITRINE_OK);
  EXPECT_EQ(attr.text, html(t));
  CollectSink small;
  small.limit = 4;
  EXPECT_EQ(vsdk_html_escape_sink(&small.sink, t.data(), t.size()), VITRINE_E_TOO_LARGE);
  EXPECT_EQ(vsdk_html_escape_sink(nullptr, t.data(), t.size()), VITRINE_E_INVALID);
  Buf tiny(3);
  EXPECT_EQ(vsdk_html_escape(&tiny, "<", 1), VITRINE_E_TOO_LARGE) << "&lt; is 4 bytes";
}

TEST(SdkEscape, PathSegmentsKeepOnlyUnreservedCharacters) {
  Buf b;
  const std::string_view uid = "a/b?c#d e%f~g.h-i_j\xC3\xA9";
  ASSERT_EQ(vsdk_url_path_segment(&b, uid.data(), uid.size()), VITRINE_OK);
  EXPECT_EQ(b.str(), "a%2Fb%3Fc%23d%20e%25f~g.h-i_j%C3%A9");
}

TEST(SdkEscape, QueryBuilderEncodesNamesAndValues) {
  Buf url;
  ASSERT_EQ(vsdk_buf_puts(&url, "https://g.example/api/search"), VITRINE_OK);
  ASSERT_EQ(vsdk_query_add(&url, "query", "cpu & mem=1"), VITRINE_OK);
  ASSERT_EQ(vsdk_query_add_int(&url, "limit", -20), VITRINE_OK);
  ASSERT_EQ(vsdk_query_add_n(&url, "tag", "a\0b", 3), VITRINE_OK);
  ASSERT_EQ(vsdk_query_add(&url, "a b", ""), VITRINE_OK);
  EXPECT_EQ(url.str(),
            "https://g.example/api/search?query=cpu%20%26%20mem%3D1&limit=-20&tag=a%00b&a%20b=");
  Buf q;
  ASSERT_EQ(vsdk_query_add_int(&q, "n", INT64_MIN), VITRINE_OK);
  EXPECT_EQ(q.str(), "?n=-9223372036854775808");
}

}  // namespace
