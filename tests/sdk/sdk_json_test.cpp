// The SDK's JSON reader (plugin_api/vitrine/sdk/json.h): what it accepts,
// what it refuses on purpose (docs/sdk.md "JSON"), and the limits that keep
// a hostile answer from exhausting a plugin.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>

#include "vitrine/sdk/json.h"

namespace {

struct Parsed {
  vitrine_status status;
  vsdk_json_doc* doc = nullptr;
  vsdk_json_error error{};
  ~Parsed() { vsdk_json_free(doc); }
  const vsdk_json* root() const { return vsdk_json_root(doc); }
};

void parse(Parsed& p, std::string_view text, const vsdk_json_limits* limits = nullptr) {
  p.status = vsdk_json_parse(text.data(), text.size(), limits, &p.doc, &p.error);
}

std::string str(const vsdk_json* n) {
  vitrine_str s{};
  if (vsdk_json_string(n, &s) == 0) return "<not a string>";
  return std::string(s.ptr, s.len);
}

// Expects `text` to be refused with `status`, an error naming `words` and
// the byte offset `offset` (or any offset when offset is SIZE_MAX).
void expect_refused(std::string_view text, vitrine_status status, const char* words,
                    size_t offset = SIZE_MAX) {
  Parsed p;
  parse(p, text);
  EXPECT_EQ(p.status, status) << text;
  EXPECT_EQ(p.doc, nullptr) << text;
  EXPECT_NE(std::strstr(p.error.message, words), nullptr)
      << "input: " << text << "\nmessage: " << p.error.message;
  if (offset != SIZE_MAX) {
    EXPECT_EQ(p.error.offset, offset) << text;
  }
}

TEST(SdkJson, ReadsObjectsArraysAndScalars) {
  Parsed p;
  parse(p, R"( {"title":"CPU","tags":["a","b"],"n":3,"x":-1.5,"on":true,"off":false,"z":null} )");
  ASSERT_EQ(p.status, VITRINE_OK) << p.error.message;
  const vsdk_json* r = p.root();
  EXPECT_EQ(vsdk_json_type_of(r), VSDK_JSON_OBJECT);
  EXPECT_EQ(vsdk_json_size(r), 7u);
  EXPECT_EQ(str(vsdk_json_get(r, "title")), "CPU");
  const vsdk_json* tags = vsdk_json_get(r, "tags");
  ASSERT_EQ(vsdk_json_size(tags), 2u);
  EXPECT_EQ(str(vsdk_json_at(tags, 1)), "b");
  EXPECT_EQ(vsdk_json_at(tags, 2), nullptr);
  int64_t n = 0;
  EXPECT_EQ(vsdk_json_int64(vsdk_json_get(r, "n"), &n), 1);
  EXPECT_EQ(n, 3);
  double x = 0;
  EXPECT_EQ(vsdk_json_double(vsdk_json_get(r, "x"), &x), 1);
  EXPECT_EQ(x, -1.5);
  EXPECT_EQ(vsdk_json_int64(vsdk_json_get(r, "x"), &n), 0) << "-1.5 is not an integer";
  int b = -1;
  EXPECT_EQ(vsdk_json_bool(vsdk_json_get(r, "on"), &b), 1);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(vsdk_json_bool(vsdk_json_get(r, "off"), &b), 1);
  EXPECT_EQ(b, 0);
  EXPECT_EQ(vsdk_json_is_null(vsdk_json_get(r, "z")), 1);
  EXPECT_EQ(vsdk_json_is_null(vsdk_json_get(r, "missing")), 0);
}

TEST(SdkJson, IteratesMembersInDocumentOrder) {
  Parsed p;
  parse(p, R"({"b":1,"a":2,"c":3})");
  ASSERT_EQ(p.status, VITRINE_OK);
  const char* expected[] = {"b", "a", "c"};
  for (size_t i = 0; i < 3; ++i) {
    vitrine_str k = vsdk_json_key_at(p.root(), i);
    EXPECT_EQ(std::string(k.ptr, k.len), expected[i]);
    int64_t v = 0;
    EXPECT_EQ(vsdk_json_int64(vsdk_json_at(p.root(), i), &v), 1);
    EXPECT_EQ(v, static_cast<int64_t>(i) + 1);
  }
  EXPECT_EQ(vsdk_json_key_at(p.root(), 3).ptr, nullptr);
}

TEST(SdkJson, LooksUpKeysInLargeObjects) {
  std::string doc = "{";
  for (int i = 0; i < 500; ++i)
    doc += (i ? "," : "") + ("\"k" + std::to_string(i) + "\":") + std::to_string(i);
  doc += "}";
  Parsed p;
  parse(p, doc);
  ASSERT_EQ(p.status, VITRINE_OK) << p.error.message;
  for (int i = 0; i < 500; i += 37) {
    int64_t v = -1;
    ASSERT_EQ(vsdk_json_int64(vsdk_json_get(p.root(), ("k" + std::to_string(i)).c_str()), &v), 1);
    EXPECT_EQ(v, i);
  }
  EXPECT_EQ(vsdk_json_get(p.root(), "k500"), nullptr);
  EXPECT_EQ(vsdk_json_get(p.root(), "k"), nullptr);
}

TEST(SdkJson, MissingNodesAreSafeEverywhere) {
  EXPECT_EQ(vsdk_json_type_of(nullptr), VSDK_JSON_MISSING);
  EXPECT_EQ(vsdk_json_get(vsdk_json_get(nullptr, "a"), "b"), nullptr);
  EXPECT_EQ(vsdk_json_size(nullptr), 0u);
  EXPECT_EQ(vsdk_json_at(nullptr, 0), nullptr);
  vitrine_str s{"x", 1};
  EXPECT_EQ(vsdk_json_string(nullptr, &s), 0);
  EXPECT_STREQ(s.ptr, "x") << "a failed getter leaves *out alone";
  EXPECT_EQ(vsdk_json_root(nullptr), nullptr);
  vsdk_json_free(nullptr);
  Parsed p;
  parse(p, R"({"a":"text"})");
  ASSERT_EQ(p.status, VITRINE_OK);
  EXPECT_EQ(vsdk_json_get(vsdk_json_get(p.root(), "a"), "b"), nullptr) << "a string has no members";
  EXPECT_EQ(vsdk_json_at(p.root(), 5), nullptr);
}

TEST(SdkJson, UnescapesStringsIncludingSurrogatePairs) {
  Parsed p;
  parse(p, R"(["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u20AC", "\ud83d\ude00", "x\u0000y", "caf\u00C3"])");
  ASSERT_EQ(p.status, VITRINE_OK) << p.error.message;
  EXPECT_EQ(str(vsdk_json_at(p.root(), 0)), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(str(vsdk_json_at(p.root(), 1)), "\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(str(vsdk_json_at(p.root(), 2)), "\xF0\x9F\x98\x80");
  EXPECT_EQ(str(vsdk_json_at(p.root(), 3)), std::string("x\0y", 3)) << "\\u0000 keeps the NUL";
  EXPECT_EQ(str(vsdk_json_at(p.root(), 4)), "caf\xC3\x83");
}

TEST(SdkJson, KeepsRawUtf8AndRefusesInvalidUtf8) {
  Parsed p;
  parse(p, "[\"gr\xC3\xBC\xC3\x9F \xF0\x9F\x98\x80\"]");
  ASSERT_EQ(p.status, VITRINE_OK) << p.error.message;
  EXPECT_EQ(str(vsdk_json_at(p.root(), 0)), "gr\xC3\xBC\xC3\x9F \xF0\x9F\x98\x80");
  expect_refused("[\"a\xFF\"]", VITRINE_E_INVALID, "invalid UTF-8", 3);
  expect_refused("[\"\xC0\xAF\"]", VITRINE_E_INVALID, "invalid UTF-8");      // overlong '/'
  expect_refused("[\"\xED\xA0\x80\"]", VITRINE_E_INVALID, "invalid UTF-8");  // encoded surrogate
  expect_refused("[\"\xF4\x90\x80\x80\"]", VITRINE_E_INVALID, "invalid UTF-8");  // > U+10FFFF
  expect_refused("[\"\xE2\x82\"]", VITRINE_E_INVALID, "invalid UTF-8");     // truncated sequence
  expect_refused("[\xC3\xA9]", VITRINE_E_INVALID, "unexpected character");  // outside a string
}

TEST(SdkJson, RefusesBadEscapesAndLoneSurrogates) {
  expect_refused(R"(["\x"])", VITRINE_E_INVALID, "invalid escape", 2);
  expect_refused(R"(["\u12"])", VITRINE_E_INVALID, "four hex digits");
  expect_refused(R"(["\u12G4"])", VITRINE_E_INVALID, "four hex digits");
  expect_refused(R"(["\ud83d"])", VITRINE_E_INVALID, "not followed by a low surrogate");
  expect_refused(R"(["\ud83dx"])", VITRINE_E_INVALID, "not followed by a low surrogate");
  expect_refused(R"(["\ud83d\u0041"])", VITRINE_E_INVALID, "not followed by a low surrogate");
  expect_refused(R"(["\ude00\ud83d"])", VITRINE_E_INVALID, "lone low surrogate");
  expect_refused("[\"a\tb\"]", VITRINE_E_INVALID, "control character 0x09");
}

TEST(SdkJson, RefusesTruncatedDocuments) {
  const std::string full = R"({"a":[1,2,{"b":"cd"}],"e":true})";
  for (size_t n = 0; n < full.size(); ++n) {
    Parsed p;
    parse(p, full.substr(0, n));
    EXPECT_EQ(p.status, VITRINE_E_INVALID) << "prefix of " << n << " bytes";
    EXPECT_NE(p.error.message[0], '\0');
    EXPECT_LE(p.error.offset, n);
  }
  expect_refused("", VITRINE_E_INVALID, "empty", 0);
  expect_refused("   \n", VITRINE_E_INVALID, "empty");
  expect_refused(R"(["abc)", VITRINE_E_INVALID, "unterminated string", 1);
  expect_refused("[1,2", VITRINE_E_INVALID, "unexpected end of input inside an array");
  expect_refused(R"({"a" 1})", VITRINE_E_INVALID, "expected ':'", 5);
  expect_refused("[1 2]", VITRINE_E_INVALID, "expected ',' or ']'", 3);
  expect_refused("{1:2}", VITRINE_E_INVALID, "expected a string key", 1);
  expect_refused("[1,]", VITRINE_E_INVALID, "unexpected character ']'", 3);
  expect_refused("[tru]", VITRINE_E_INVALID, "unexpected character 't'");
}

TEST(SdkJson, RefusesTrailingGarbageAndByteOrderMark) {
  expect_refused("{} x", VITRINE_E_INVALID, "unexpected data after the JSON value", 3);
  expect_refused("[1][2]", VITRINE_E_INVALID, "unexpected data after", 3);
  expect_refused("\xEF\xBB\xBF{}", VITRINE_E_INVALID, "byte order mark", 0);
  Parsed p;
  parse(p, " \t\r\n[1] \n");
  EXPECT_EQ(p.status, VITRINE_OK) << "whitespace around the value is fine";
}

TEST(SdkJson, RefusesDuplicateKeys) {
  expect_refused(R"({"a":1,"b":2,"a":3})", VITRINE_E_INVALID, "duplicate key \"a\"", 0);
  expect_refused(R"([{"x":{"k":1,"k":1}}])", VITRINE_E_INVALID, "duplicate key \"k\"", 6);
  // Equal after unescaping is the same key.
  expect_refused(R"({"\u0061":1,"a":2})", VITRINE_E_INVALID, "duplicate key");
  Parsed p;
  parse(p, R"({"a":1,"ab":2,"a\u0000":3})");
  EXPECT_EQ(p.status, VITRINE_OK) << "prefixes and embedded NULs are different keys";
  EXPECT_EQ(vsdk_json_get_n(p.root(), "a\0", 2), vsdk_json_at(p.root(), 2));
}

TEST(SdkJson, DepthBombIsRefusedWithinTheLimit) {
  const std::string deep(100000, '[');
  expect_refused(deep, VITRINE_E_TOO_LARGE, "nesting deeper than 64 levels", 64);
  vsdk_json_limits limits{0, 3};
  Parsed ok;
  parse(ok, "[[[1]]]", &limits);
  EXPECT_EQ(ok.status, VITRINE_OK);
  Parsed bad;
  parse(bad, "[[[[1]]]]", &limits);
  EXPECT_EQ(bad.status, VITRINE_E_TOO_LARGE);
  // A limit above the cap is clamped, so a huge limit cannot overflow the stack.
  vsdk_json_limits huge{0, 1u << 30};
  Parsed capped;
  parse(capped, deep, &huge);
  EXPECT_EQ(capped.status, VITRINE_E_TOO_LARGE);
  EXPECT_EQ(capped.error.offset, VSDK_JSON_MAX_DEPTH_CAP);
}

TEST(SdkJson, SizeLimitIsChecked) {
  vsdk_json_limits limits{8, 0};
  Parsed small;
  parse(small, "[1,2,3]", &limits);
  EXPECT_EQ(small.status, VITRINE_OK);
  Parsed big;
  parse(big, "[1,2,3,4]", &limits);
  EXPECT_EQ(big.status, VITRINE_E_TOO_LARGE);
  EXPECT_NE(std::strstr(big.error.message, "larger than 8 bytes"), nullptr) << big.error.message;
}

TEST(SdkJson, NumbersFollowTheGrammarAndRanges) {
  Parsed p;
  parse(p,
        "[9007199254740993, 9223372036854775807, -9223372036854775808, 9223372036854775808,"
        " 1e3, 2.0, 1e400, -0, 0.5e-3, 1E+2, 9007199254740994.0]");
  ASSERT_EQ(p.status, VITRINE_OK) << p.error.message;
  int64_t v = 0;
  ASSERT_EQ(vsdk_json_int64(vsdk_json_at(p.root(), 0), &v), 1);
  EXPECT_EQ(v, 9007199254740993LL) << "integer text is read exactly, not through a double";
  ASSERT_EQ(vsdk_json_int64(vsdk_json_at(p.root(), 1), &v), 1);
  EXPECT_EQ(v, INT64_MAX);
  ASSERT_EQ(vsdk_json_int64(vsdk_json_at(p.root(), 2), &v), 1);
  EXPECT_EQ(v, INT64_MIN);
  EXPECT_EQ(vsdk_json_int64(vsdk_json_at(p.root(), 3), &v), 0) << "INT64_MAX + 1";
  ASSERT_EQ(vsdk_json_int64(vsdk_json_at(p.root(), 4), &v), 1);
  EXPECT_EQ(v, 1000);
  ASSERT_EQ(vsdk_json_int64(vsdk_json_at(p.root(), 5), &v), 1);
  EXPECT_EQ(v, 2);
  double d = 0;
  EXPECT_EQ(vsdk_json_double(vsdk_json_at(p.root(), 6), &d), 0) << "1e400 is not finite";
  EXPECT_EQ(vsdk_json_int64(vsdk_json_at(p.root(), 6), &v), 0);
  vitrine_str t = vsdk_json_number_text(vsdk_json_at(p.root(), 6));
  EXPECT_EQ(std::string(t.ptr, t.len), "1e400");
  ASSERT_EQ(vsdk_json_int64(vsdk_json_at(p.root(), 7), &v), 1);
  EXPECT_EQ(v, 0);
  ASSERT_EQ(vsdk_json_double(vsdk_json_at(p.root(), 8), &d), 1);
  EXPECT_DOUBLE_EQ(d, 0.0005);
  ASSERT_EQ(vsdk_json_int64(vsdk_json_at(p.root(), 9), &v), 1);
  EXPECT_EQ(v, 100);
  EXPECT_EQ(vsdk_json_int64(vsdk_json_at(p.root(), 10), &v), 0) << "beyond 2^53 through a double";
  expect_refused("[01]", VITRINE_E_INVALID, "expected ',' or ']'");
  expect_refused("[1.]", VITRINE_E_INVALID, "digit must follow the decimal point");
  expect_refused("[.5]", VITRINE_E_INVALID, "unexpected character '.'");
  expect_refused("[1e]", VITRINE_E_INVALID, "digit must follow the exponent");
  expect_refused("[-]", VITRINE_E_INVALID, "invalid number");
  expect_refused("[+1]", VITRINE_E_INVALID, "unexpected character '+'");
  expect_refused("[NaN]", VITRINE_E_INVALID, "unexpected character 'N'");
}

TEST(SdkJson, TypedGettersRefuseOtherTypes) {
  Parsed p;
  parse(p, R"(["1", 1, true, null, {}, []])");
  ASSERT_EQ(p.status, VITRINE_OK);
  int64_t v = 7;
  EXPECT_EQ(vsdk_json_int64(vsdk_json_at(p.root(), 0), &v), 0) << "a numeric string is a string";
  EXPECT_EQ(v, 7);
  int b = 7;
  EXPECT_EQ(vsdk_json_bool(vsdk_json_at(p.root(), 1), &b), 0);
  vitrine_str s{};
  EXPECT_EQ(vsdk_json_string(vsdk_json_at(p.root(), 2), &s), 0);
  EXPECT_EQ(vsdk_json_is_null(vsdk_json_at(p.root(), 1)), 0);
  EXPECT_EQ(vsdk_json_type_of(vsdk_json_at(p.root(), 4)), VSDK_JSON_OBJECT);
  EXPECT_EQ(vsdk_json_size(vsdk_json_at(p.root(), 4)), 0u);
  EXPECT_EQ(vsdk_json_type_of(vsdk_json_at(p.root(), 5)), VSDK_JSON_ARRAY);
  EXPECT_EQ(vsdk_json_get(vsdk_json_at(p.root(), 4), "a"), nullptr);
}

TEST(SdkJson, TheTreeDoesNotPointIntoTheInput) {
  std::string input = R"({"name":"dashboard","n":12})";
  Parsed p;
  parse(p, input);
  ASSERT_EQ(p.status, VITRINE_OK);
  input.assign(input.size(), 'X');
  input.clear();
  input.shrink_to_fit();
  EXPECT_EQ(str(vsdk_json_get(p.root(), "name")), "dashboard");
  vitrine_str t = vsdk_json_number_text(vsdk_json_get(p.root(), "n"));
  EXPECT_EQ(std::string(t.ptr, t.len), "12");
}

TEST(SdkJson, ParseWithoutOutputHandleFails) {
  vsdk_json_error err{};
  EXPECT_EQ(vsdk_json_parse("[]", 2, nullptr, nullptr, &err), VITRINE_E_INTERNAL);
  vsdk_json_doc* doc = reinterpret_cast<vsdk_json_doc*>(&err);
  EXPECT_EQ(vsdk_json_parse("[", 1, nullptr, &doc, nullptr), VITRINE_E_INVALID);
  EXPECT_EQ(doc, nullptr) << "*out is NULL after a failure";
}

}  // namespace
