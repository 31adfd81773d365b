// The strict HTTP/1.1 request parser (host/server/net/request_parser.h):
// a table of valid and refused requests, each with the status and rule id it
// must give, checked whole and fed one byte at a time; then pipelining,
// body limits, Content-Length and Transfer-Encoding spellings, header
// merging and keep-alive semantics.
#include "server/net/request_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vitrine::server::net {
namespace {

struct Outcome {
  ParseState state = ParseState::need_more;
  int status = 0;
  std::string rule;
  std::size_t consumed = 0;
  bool keep_alive = false;
  Request request;
};

Outcome finish(RequestParser& parser, const ParseResult& r, std::size_t consumed) {
  Outcome o;
  o.state = r.state;
  o.status = r.error.status;
  o.rule = r.error.rule;
  o.consumed = consumed;
  o.keep_alive = r.keep_alive;
  o.request = parser.request();
  return o;
}

Outcome parse_whole(std::string_view in, const ParseLimits& limits = {}) {
  RequestParser parser(limits);
  const ParseResult r = parser.feed(in);
  return finish(parser, r, r.consumed);
}

// One byte per feed(), as a slow client would send it.
Outcome parse_bytewise(std::string_view in, const ParseLimits& limits = {}) {
  RequestParser parser(limits);
  ParseResult r;
  std::size_t consumed = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    r = parser.feed(in.substr(i, 1));
    consumed += r.consumed;
    if (r.state != ParseState::need_more) break;
  }
  return finish(parser, r, consumed);
}

std::string get(const std::string& extra_fields = {}, const std::string& target = "/") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_fields + "\r\n";
}

struct Case {
  const char* name;
  std::string input;
  int status;        // 0: a complete request
  const char* rule;  // the refusal's rule id; "" for a complete request
};

std::string fields(int n, const std::string& value = "v") {
  std::string out;
  for (int i = 0; i < n; ++i) out += "X-F" + std::to_string(i) + ": " + value + "\r\n";
  return out;
}

std::vector<Case> cases() {
  // "GET /" + path + " HTTP/1.1": exactly 16 KiB.
  const std::string line16k = "GET /" + std::string(16 * 1024 - 14, 'a') + " HTTP/1.1";
  return {
      // Valid requests.
      {"SimpleGet", get(), 0, ""},
      {"Http10WithoutHost", "GET / HTTP/1.0\r\n\r\n", 0, ""},
      {"MethodGet", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, ""},
      {"MethodHead", "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", 0, ""},
      {"MethodPost", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi", 0, ""},
      {"MethodPut", "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 0, ""},
      {"MethodPatch", "PATCH / HTTP/1.1\r\nHost: a\r\n\r\n", 0, ""},
      {"MethodDelete", "DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n", 0, ""},
      {"MethodOptions", "OPTIONS /x HTTP/1.1\r\nHost: a\r\n\r\n", 0, ""},
      {"QueryString", get({}, "/spaces/a/pages?x=1&y=%20"), 0, ""},
      {"EmptyQuery", get({}, "/?"), 0, ""},
      {"TargetSubDelimsAndEscapes", get({}, "/a/b-c_d.e~f!$&'()*+,;=:@%2F?q=/?"), 0, ""},
      {"BodyWithContentLength", "POST /api HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
       0, ""},
      {"ContentLengthZero", get("Content-Length: 0\r\n"), 0, ""},
      {"ContentLengthLeadingZeros", get("Content-Length: 000\r\n"), 0, ""},
      {"ContentLengthIdenticalDuplicate",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 0, ""},
      {"LeadingEmptyLinesIgnored", "\r\n\r\n" + get(), 0, ""},
      {"ValueOwsTrimmed", get("X-A: \t spaced \t \r\n"), 0, ""},
      {"EmptyValue", get("X-Empty:\r\n"), 0, ""},
      {"ValueWithInnerTab", get("X-A: a\tb\r\n"), 0, ""},
      {"ValueWithObsText", get("X-A: caf\xc3\xa9\r\n"), 0, ""},
      {"TcharPunctuationInName", get("X-!#$%&'*+-.^_`|~: v\r\n"), 0, ""},
      {"HundredFields", get(fields(99)), 0, ""},
      {"NameAtLimit", get(std::string(256, 'n') + ": v\r\n"), 0, ""},
      {"ValueAtLimit", get("X-A: " + std::string(8 * 1024, 'v') + "\r\n"), 0, ""},
      {"RequestLineAtLimit", line16k + "\r\nHost: a\r\n\r\n", 0, ""},
      {"HostWithPort", "GET / HTTP/1.1\r\nHost: docs.example.com:8080\r\n\r\n", 0, ""},
      {"HostIpv6Literal", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 0, ""},
      {"HostEmpty", "GET / HTTP/1.1\r\nHost:\r\n\r\n", 0, ""},
      {"ConnectionClose", get("Connection: close\r\n"), 0, ""},
      {"Http10KeepAlive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0, ""},
      {"CookieSplitOverFields", get("Cookie: a=1\r\nCookie: b=2\r\n"), 0, ""},
      {"ExpectContinueWithBody",
       "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx", 0, ""},
      {"UpperCaseNamesLowered", get("X-UPPER: v\r\n"), 0, ""},

      // Request line.
      {"RequestLineTooLong", "GET /" + std::string(16 * 1024, 'a') + " HTTP/1.1\r\n\r\n", 414,
       "http-request-line-too-long"},
      {"DoubleSpace", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http-request-line-malformed"},
      {"LeadingSpace", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http-request-line-malformed"},
      {"TrailingSpace", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, "http-request-line-malformed"},
      {"NoVersion", "GET /\r\nHost: a\r\n\r\n", 400, "http-request-line-malformed"},
      {"MethodOnly", "GET\r\n\r\n", 400, "http-request-line-malformed"},
      {"TabSeparated", "GET\t/\tHTTP/1.1\r\nHost: a\r\n\r\n", 400, "http-request-line-malformed"},
      {"TlsHandshakeBytes", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n", 13),
       400, "http-request-line-malformed"},
      {"MethodNotToken", "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http-method-invalid"},
      {"MethodWithNul", std::string("G\0T / HTTP/1.1\r\nHost: a\r\n\r\n", 27), 400,
       "http-method-invalid"},
      {"MethodLowerCase", "get / HTTP/1.1\r\nHost: a\r\n\r\n", 501, "http-method-not-implemented"},
      {"MethodTrace", "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", 501, "http-method-not-implemented"},
      {"MethodConnect", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 501,
       "http-method-not-implemented"},
      {"MethodUnknown", "BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 501, "http-method-not-implemented"},
      {"TargetAbsoluteForm", "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400,
       "http-target-not-origin-form"},
      {"TargetAsterisk", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 400,
       "http-target-not-origin-form"},
      {"TargetAuthorityForm", "GET a.example:80 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
       "http-target-not-origin-form"},
      {"TargetWithControlByte", get({}, "/a\x01"), 400, "http-target-invalid"},
      {"TargetWithDel", get({}, "/a\x7f"), 400, "http-target-invalid"},
      {"TargetWithNonAscii", get({}, "/caf\xc3\xa9"), 400, "http-target-invalid"},
      {"TargetWithFragment", get({}, "/a#b"), 400, "http-target-invalid"},
      {"VersionHttp2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "http-version-not-supported"},
      {"VersionHttp12", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505, "http-version-not-supported"},
      {"VersionLowerCase", "GET / http/1.1\r\nHost: a\r\n\r\n", 505, "http-version-not-supported"},
      {"VersionHttp09", "GET / HTTP/0.9\r\n\r\n", 505, "http-version-not-supported"},

      // Line endings.
      {"BareLfEndsRequestLine", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400, "http-bare-lf"},
      {"BareLfEndsField", "GET / HTTP/1.1\r\nHost: a\n\r\n", 400, "http-bare-lf"},
      {"BareLfEndsHead", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400, "http-bare-lf"},
      {"BareLfInsideValue", get("X-A: a\nb\r\n"), 400, "http-bare-lf"},
      {"BareCrInRequestLine", "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400, "http-bare-cr"},
      {"BareCrInValue", get("X-A: a\rb\r\n"), 400, "http-bare-cr"},
      {"CrCrLf", "GET / HTTP/1.1\r\r\n\r\n", 400, "http-bare-cr"},

      // Header fields.
      {"TooManyFields", get(fields(100)), 431, "http-too-many-header-fields"},
      {"NameTooLong", get(std::string(257, 'n') + ": v\r\n"), 431, "http-header-name-too-long"},
      {"LineWithoutColonTooLong", get(std::string(300, 'n') + "\r\n"), 431,
       "http-header-name-too-long"},
      {"ValueTooLong", get("X-A: " + std::string(8 * 1024 + 1, 'v') + "\r\n"), 431,
       "http-header-value-too-long"},
      {"HeadTooLarge", get(fields(9, std::string(8000, 'v'))), 431, "http-head-too-large"},
      {"ObsFoldSpace", get("X-A: a\r\n b\r\n"), 400, "http-header-obs-fold"},
      {"ObsFoldTab", get("X-A: a\r\n\tb\r\n"), 400, "http-header-obs-fold"},
      {"FirstFieldFolded", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400, "http-header-obs-fold"},
      {"NoColon", get("NoColonHere\r\n"), 400, "http-header-no-colon"},
      {"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400,
       "http-header-space-before-colon"},
      {"TabBeforeColon", get("X-A\t: a\r\n"), 400, "http-header-space-before-colon"},
      {"EmptyName", get(": v\r\n"), 400, "http-header-name-invalid"},
      {"NameWithParenthesis", get("X(A): v\r\n"), 400, "http-header-name-invalid"},
      {"NameWithSpaceInside", get("X A: v\r\n"), 400, "http-header-name-invalid"},
      {"NameNonAscii", get("X-\xc3\xa9: v\r\n"), 400, "http-header-name-invalid"},
      {"ValueWithNul", get(std::string("X-A: a\0b\r\n", 10)), 400, "http-header-value-invalid"},
      {"ValueWithEscape", get("X-A: a\x1b[31m\r\n"), 400, "http-header-value-invalid"},
      {"ValueWithDel", get("X-A: a\x7f\r\n"), 400, "http-header-value-invalid"},

      // Body framing.
      {"TransferEncodingChunked", get("Transfer-Encoding: chunked\r\n"), 411,
       "http-transfer-encoding-refused"},
      {"TransferEncodingWithContentLength",
       get("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"), 411,
       "http-transfer-encoding-refused"},
      {"ContentLengthNegative", get("Content-Length: -1\r\n"), 400, "http-content-length-invalid"},
      {"ContentLengthPlus", get("Content-Length: +5\r\n"), 400, "http-content-length-invalid"},
      {"ContentLengthList", get("Content-Length: 5, 5\r\n"), 400, "http-content-length-invalid"},
      {"ContentLengthHex", get("Content-Length: 0x10\r\n"), 400, "http-content-length-invalid"},
      {"ContentLengthEmpty", get("Content-Length:\r\n"), 400, "http-content-length-invalid"},
      {"ContentLengthInnerSpace", get("Content-Length: 1 2\r\n"), 400,
       "http-content-length-invalid"},
      {"ContentLengthConflict", get("Content-Length: 5\r\nContent-Length: 6\r\n"), 400,
       "http-content-length-conflict"},
      {"ContentLengthConflictLeadingZero", get("Content-Length: 5\r\nContent-Length: 05\r\n"), 400,
       "http-content-length-conflict"},
      {"ContentLengthOverLimit", get("Content-Length: 1048577\r\n"), 413, "http-body-too-large"},
      {"ContentLengthHuge", get("Content-Length: 99999999999999999999999999\r\n"), 413,
       "http-body-too-large"},

      // Host.
      {"HostMissing", "GET / HTTP/1.1\r\nX-A: v\r\n\r\n", 400, "http-host-missing"},
      {"HostDuplicate", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "http-host-duplicate"},
      {"HostDuplicateHttp10", "GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", 400,
       "http-host-duplicate"},
      {"HostWithSpace", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "http-host-invalid"},
      {"HostWithPath", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "http-host-invalid"},
      {"HostWithAt", "GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400, "http-host-invalid"},
  };
}

class HttpParserRule : public ::testing::TestWithParam<Case> {};

TEST_P(HttpParserRule, GivesStatusAndRuleWholeAndByteByByte) {
  const Case& c = GetParam();
  const Outcome whole = parse_whole(c.input);
  if (c.status == 0) {
    ASSERT_EQ(whole.state, ParseState::complete) << whole.rule;
    EXPECT_EQ(whole.consumed, c.input.size());
  } else {
    ASSERT_EQ(whole.state, ParseState::error);
    EXPECT_EQ(whole.status, c.status);
    EXPECT_EQ(whole.rule, c.rule);
  }
  const Outcome bytewise = parse_bytewise(c.input);
  EXPECT_EQ(bytewise.state, whole.state);
  EXPECT_EQ(bytewise.status, whole.status);
  EXPECT_EQ(bytewise.rule, whole.rule);
  EXPECT_EQ(bytewise.consumed, whole.consumed);
  EXPECT_EQ(bytewise.keep_alive, whole.keep_alive);
  EXPECT_EQ(bytewise.request.method, whole.request.method);
  EXPECT_EQ(bytewise.request.path, whole.request.path);
  EXPECT_EQ(bytewise.request.query, whole.request.query);
  EXPECT_EQ(bytewise.request.headers, whole.request.headers);
  EXPECT_EQ(bytewise.request.body, whole.request.body);
}

INSTANTIATE_TEST_SUITE_P(HttpParser, HttpParserRule, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

TEST(HttpParser, TableHasAtLeastSixtyCases) { EXPECT_GE(cases().size(), 60u); }

TEST(HttpParser, RequestFieldsAreFilled) {
  const Outcome o = parse_whole(
      "POST /api/v1/spaces?limit=5&x HTTP/1.1\r\nHost: a\r\nX-Mixed-Case: \t v a l \t\r\n"
      "Content-Length: 4\r\n\r\nbody");
  ASSERT_EQ(o.state, ParseState::complete);
  EXPECT_EQ(o.request.method, "POST");
  EXPECT_EQ(o.request.path, "/api/v1/spaces");
  EXPECT_EQ(o.request.query, "limit=5&x");
  EXPECT_EQ(o.request.headers.at("x-mixed-case"), "v a l");
  EXPECT_EQ(o.request.headers.at("host"), "a");
  EXPECT_EQ(o.request.body, "body");
}

TEST(HttpParser, BareLfIsRefused) {
  const Outcome o = parse_whole("GET / HTTP/1.1\nHost: a\n\n");
  EXPECT_EQ(o.status, 400);
  EXPECT_EQ(o.rule, "http-bare-lf");
}

TEST(HttpParser, EndlessRequestLineIsCutOffAtTheLimit) {
  // No CRLF ever comes: the refusal must not wait for one.
  RequestParser parser;
  const ParseResult r = parser.feed(std::string(16 * 1024 + 1, 'a'));
  EXPECT_EQ(r.state, ParseState::error);
  EXPECT_EQ(r.error.rule, "http-request-line-too-long");
  EXPECT_EQ(r.error.status, 414);
}

TEST(HttpParser, EndlessHeaderNameIsCutOffAtTheLimit) {
  RequestParser parser;
  ASSERT_EQ(parser.feed("GET / HTTP/1.1\r\n").state, ParseState::need_more);
  const ParseResult r = parser.feed(std::string(257, 'n'));
  EXPECT_EQ(r.state, ParseState::error);
  EXPECT_EQ(r.error.rule, "http-header-name-too-long");
}

TEST(HttpParser, PipelinedRequestsAreSplitExactly) {
  const std::string a = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
  const std::string b = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string c = "GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  std::string_view rest;
  const std::string all = a + b + c;
  rest = all;
  RequestParser parser;
  std::vector<std::string> paths;
  std::vector<bool> keep;
  while (!rest.empty()) {
    const ParseResult r = parser.feed(rest);
    ASSERT_EQ(r.state, ParseState::complete);
    paths.push_back(parser.request().path);
    keep.push_back(r.keep_alive);
    rest.remove_prefix(r.consumed);
    parser.reset();
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/a", "/b", "/c"}));
  EXPECT_EQ(keep, (std::vector<bool>{true, true, false}));
}

TEST(HttpParser, PipelinedBytewiseGivesTheSameRequests) {
  const std::string all =
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPUT /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n"
      "xyGET /3 HTTP/1.1\r\nHost: h\r\n\r\n";
  RequestParser parser;
  std::vector<std::string> seen;
  for (char ch : all) {
    const ParseResult r = parser.feed(std::string_view(&ch, 1));
    ASSERT_NE(r.state, ParseState::error);
    EXPECT_EQ(r.consumed, 1u);
    if (r.state == ParseState::complete) {
      seen.push_back(parser.request().method + " " + parser.request().path + " " +
                     parser.request().body);
      parser.reset();
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"GET /1 ", "PUT /2 xy", "GET /3 "}));
}

TEST(HttpParser, BodyExactlyAtLimitIsAccepted) {
  ParseLimits limits;
  limits.max_body_bytes = 16;
  const std::string body(16, 'b');
  const std::string in = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 16\r\n\r\n" + body + "GET";
  const Outcome o = parse_whole(in, limits);
  ASSERT_EQ(o.state, ParseState::complete);
  EXPECT_EQ(o.request.body, body);
  EXPECT_EQ(o.consumed, in.size() - 3);  // "GET" starts the next request
}

TEST(HttpParser, BodyOneOverLimitIsRefusedBeforeItIsRead) {
  ParseLimits limits;
  limits.max_body_bytes = 16;
  RequestParser parser(limits);
  const std::string head = "POST /api/x HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\n\r\n";
  const ParseResult r = parser.feed(head);  // no body byte sent yet
  EXPECT_EQ(r.state, ParseState::error);
  EXPECT_EQ(r.error.status, 413);
  EXPECT_EQ(r.error.rule, "http-body-too-large");
  EXPECT_EQ(parser.request().path, "/api/x");  // the error page can be JSON
  EXPECT_EQ(parser.request().method, "POST");
}

TEST(HttpParser, BodyArrivesInPieces) {
  RequestParser parser;
  EXPECT_EQ(parser.feed("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nab").state,
            ParseState::need_more);
  EXPECT_EQ(parser.feed("cd").state, ParseState::need_more);
  const ParseResult r = parser.feed("efGET");
  ASSERT_EQ(r.state, ParseState::complete);
  EXPECT_EQ(r.consumed, 2u);
  EXPECT_EQ(parser.request().body, "abcdef");
}

TEST(HttpParser, ContentLengthIdenticalDuplicatesAreAccepted) {
  const Outcome o =
      parse_whole("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nok");
  ASSERT_EQ(o.state, ParseState::complete);
  EXPECT_EQ(o.request.body, "ok");
}

TEST(HttpParser, ContentLengthDifferingDuplicatesAreRefused) {
  struct D {
    const char* second;
    const char* rule;
  };
  for (const D& d :
       {D{"3", "http-content-length-conflict"}, D{"02", "http-content-length-conflict"},
        D{"2,2", "http-content-length-invalid"}, D{"2 ", ""}}) {
    const Outcome o =
        parse_whole("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: " +
                    std::string(d.second) + "\r\n\r\nok");
    EXPECT_EQ(o.rule, d.rule) << d.second;
    // "2 " trims to "2": an identical duplicate, accepted.
    EXPECT_EQ(o.state, *d.rule ? ParseState::error : ParseState::complete) << d.second;
  }
}

TEST(HttpParser, TransferEncodingIsRefusedInAnySpelling) {
  for (const char* field :
       {"Transfer-Encoding: chunked", "transfer-encoding: chunked", "TRANSFER-ENCODING: CHUNKED",
        "Transfer-Encoding: identity", "Transfer-Encoding: gzip, chunked",
        "Transfer-Encoding:", "tRaNsFeR-eNcOdInG: \tchunked\t", "Transfer-Encoding: xchunked"}) {
    const Outcome o = parse_whole("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n" +
                                  std::string(field) + "\r\n\r\nx");
    EXPECT_EQ(o.state, ParseState::error) << field;
    EXPECT_EQ(o.status, 411) << field;
    EXPECT_EQ(o.rule, "http-transfer-encoding-refused") << field;
  }
  // Spellings that are not the field name are other fields; the body is
  // then framed by Content-Length alone.
  for (const char* other : {"Transfer_Encoding: chunked", "X-Transfer-Encoding: chunked"}) {
    const Outcome o = parse_whole("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n" +
                                  std::string(other) + "\r\n\r\nx");
    EXPECT_EQ(o.state, ParseState::complete) << other;
    EXPECT_EQ(o.request.body, "x");
  }
  // With whitespace before the colon it never gets that far.
  const Outcome spaced = parse_whole(get("Transfer-Encoding : chunked\r\n"));
  EXPECT_EQ(spaced.rule, "http-header-space-before-colon");
}

TEST(HttpParser, TransferEncodingMessageSaysUseContentLength) {
  RequestParser parser;
  const ParseResult r = parser.feed(get("Transfer-Encoding: chunked\r\n"));
  EXPECT_NE(r.error.message.find("send the body with Content-Length"), std::string::npos);
}

TEST(HttpParser, DuplicateFieldsKeepTheFirstValueExceptCookie) {
  const Outcome o = parse_whole(
      get("Authorization: Bearer first\r\nAuthorization: Bearer second\r\nCookie: a=1\r\n"
          "cookie: b=2\r\nCOOKIE: c=3\r\n"));
  ASSERT_EQ(o.state, ParseState::complete);
  EXPECT_EQ(o.request.headers.at("authorization"), "Bearer first");
  EXPECT_EQ(o.request.headers.at("cookie"), "a=1; b=2; c=3");
}

// A proxy that adds its own field must not be shadowed by the client's:
// the right end of the joined list is what the proxy wrote.
TEST(HttpParser, ForwardedForFieldsAreJoinedInOrder) {
  const Outcome o =
      parse_whole(get("X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 203.0.113.9, 10.0.0.2\r\n"));
  ASSERT_EQ(o.state, ParseState::complete);
  EXPECT_EQ(o.request.headers.at("x-forwarded-for"), "6.6.6.6, 203.0.113.9, 10.0.0.2");
}

TEST(HttpParser, KeepAliveSemantics) {
  struct K {
    std::string in;
    bool keep;
  };
  const std::vector<K> table = {
      {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n", true},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
  };
  for (const auto& k : table) {
    const Outcome o = parse_whole(k.in);
    ASSERT_EQ(o.state, ParseState::complete) << k.in;
    EXPECT_EQ(o.keep_alive, k.keep) << k.in;
  }
}

TEST(HttpParser, Http10VersionIsReported) {
  RequestParser parser;
  const ParseResult r = parser.feed("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(r.state, ParseState::complete);
  EXPECT_EQ(r.version_minor, 0);
}

TEST(HttpParser, ExpectContinueIsReportedWhenTheHeadEnds) {
  RequestParser parser;
  const ParseResult r =
      parser.feed("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n");
  EXPECT_EQ(r.state, ParseState::need_more);
  EXPECT_TRUE(r.expect_continue);
  const ParseResult done = parser.feed("ok");
  EXPECT_EQ(done.state, ParseState::complete);
  EXPECT_FALSE(done.expect_continue);
  // No body, nothing to wait for.
  RequestParser empty;
  EXPECT_FALSE(
      empty.feed("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n").expect_continue);
}

TEST(HttpParser, ErrorKeepsTheMethodAndPathSeenSoFar) {
  RequestParser parser;
  const ParseResult bad = parser.feed(
      "GET /api/v1/x?q=1 HTTP/1.1\r\nX-A: a\x01"
      "b\r\n\r\n");
  ASSERT_EQ(bad.state, ParseState::error);
  EXPECT_EQ(bad.error.rule, "http-header-value-invalid");
  EXPECT_EQ(parser.request().method, "GET");
  EXPECT_EQ(parser.request().path, "/api/v1/x");
}

TEST(HttpParser, MethodNotImplementedIsNotKeptForLabels) {
  RequestParser parser;
  const ParseResult r = parser.feed("BREW /pot HTTP/1.1\r\n");
  ASSERT_EQ(r.state, ParseState::error);
  EXPECT_EQ(r.error.status, 501);
  EXPECT_EQ(parser.request().method, "");  // never a metric label
}

TEST(HttpParser, FeedAfterTheEndRepeatsTheResultAndTakesNothing) {
  RequestParser parser;
  const std::string in = get();
  ASSERT_EQ(parser.feed(in).state, ParseState::complete);
  const ParseResult again = parser.feed("GET / HTTP/1.1\r\n");
  EXPECT_EQ(again.state, ParseState::complete);
  EXPECT_EQ(again.consumed, 0u);
  RequestParser bad;
  ASSERT_EQ(bad.feed("GET / HTTP/1.1\n").state, ParseState::error);
  const ParseResult still = bad.feed("more");
  EXPECT_EQ(still.state, ParseState::error);
  EXPECT_EQ(still.error.rule, "http-bare-lf");
  EXPECT_EQ(still.consumed, 0u);
}

TEST(HttpParser, ErrorConsumesUpToTheOffendingByte) {
  RequestParser parser;
  const ParseResult r = parser.feed("GET / HTTP/1.1\nrest");
  ASSERT_EQ(r.state, ParseState::error);
  EXPECT_EQ(r.consumed, 15u);
}

TEST(HttpParser, ResetStartsAFreshRequest) {
  RequestParser parser;
  ASSERT_EQ(parser.feed(get("Cookie: a=1\r\n")).state, ParseState::complete);
  EXPECT_TRUE(parser.started());
  parser.reset();
  EXPECT_FALSE(parser.started());
  const ParseResult r = parser.feed("GET /next HTTP/1.0\r\n\r\n");
  ASSERT_EQ(r.state, ParseState::complete);
  EXPECT_EQ(parser.request().path, "/next");
  EXPECT_TRUE(parser.request().headers.empty());
}

TEST(HttpParser, TokenAndFieldValueHelpers) {
  EXPECT_TRUE(is_token("X-Frame-Options"));
  EXPECT_FALSE(is_token(""));
  EXPECT_FALSE(is_token("a b"));
  EXPECT_FALSE(is_token("a:b"));
  EXPECT_TRUE(is_field_value("default-src 'none'; frame-ancestors 'self'"));
  EXPECT_TRUE(is_field_value("a\tb"));
  EXPECT_FALSE(is_field_value("a\r\nSet-Cookie: x=1"));
  EXPECT_FALSE(is_field_value(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace vitrine::server::net
