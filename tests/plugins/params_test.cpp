// ABI-12: parameters are bound to their declared types before render().
#include "plugins/params.h"

#include <gtest/gtest.h>

using namespace vitrine::plugins;
using vitrine::manifest::ParamType;

namespace {

vitrine::manifest::Macro macro() {
  vitrine::manifest::Macro m;
  m.key = "alert-list";
  auto add = [&](std::string name, ParamType t) -> vitrine::manifest::Parameter& {
    m.parameters.push_back({});
    m.parameters.back().name = std::move(name);
    m.parameters.back().type = t;
    return m.parameters.back();
  };
  add("max", ParamType::integer).min = 1;
  m.parameters.back().max = 50;
  add("state", ParamType::enumeration).values = {"firing", "pending"};
  add("states", ParamType::enum_list).values = {"firing", "pending"};
  add("title", ParamType::string).max_length = 5;
  m.parameters.back().pattern = "[a-z]+";
  add("uid", ParamType::uid).required = true;
  add("from", ParamType::time);
  add("to", ParamType::time);
  add("every", ParamType::duration);
  add("compact", ParamType::boolean);
  return m;
}

std::string rule_for(std::map<std::string, std::string> raw) {
  if (!raw.count("uid")) raw["uid"] = "abc-123";
  BoundParams out;
  auto err = bind_params(macro(), raw, 1'000'000'000'000, out);
  return err ? err->rule : "ok";
}

}  // namespace

TEST(ABI_12_TypedParams, TableOfBindings) {
  struct Row {
    std::map<std::string, std::string> raw;
    std::string rule;
  } rows[] = {
      {{}, "ok"},
      {{{"max", "50"}}, "ok"},
      {{{"max", "51"}}, "param-range"},
      {{{"max", "0"}}, "param-range"},
      {{{"max", "1e3"}}, "param-type"},
      {{{"max", ""}}, "param-type"},
      {{{"state", "firing"}}, "ok"},
      {{{"state", "Firing"}}, "param-enum"},
      {{{"states", "firing,pending"}}, "ok"},
      {{{"states", "firing,nodata"}}, "param-enum"},
      {{{"title", "abcde"}}, "ok"},
      {{{"title", "abcdef"}}, "param-range"},
      {{{"title", "ab1"}}, "param-pattern"},
      {{{"uid", "a/b"}}, "param-type"},
      {{{"uid", std::string(41, 'a')}}, "param-type"},
      {{{"from", "now-7d"}}, "ok"},
      {{{"from", "2026-11-29T10:00:00Z"}}, "ok"},
      {{{"from", "2026-11-29T10:00:00+01:00"}}, "ok"},
      {{{"from", "now-1d/d"}}, "ok"},
      {{{"from", "1700000000000"}}, "ok"},
      {{{"from", "2026-11-29T10:00:00+1"}}, "param-type"},
      {{{"from", "now/q"}}, "param-type"},
      {{{"from", "yesterday"}}, "param-type"},
      {{{"every", "5m"}}, "ok"},
      {{{"every", "5 minutes"}}, "param-type"},
      {{{"compact", "true"}}, "ok"},
      {{{"compact", "yes"}}, "param-type"},
      {{{"colour", "red"}}, "param-unknown"},
      {{{"title", std::string("a\0b", 3)}}, "param-type"},
  };
  for (const auto& row : rows) {
    std::string label;
    for (const auto& [k, v] : row.raw) label += k + "=" + v + " ";
    EXPECT_EQ(rule_for(row.raw), row.rule) << label;
  }
}

TEST(ABI_12_TypedParams, MissingRequiredParameter) {
  BoundParams out;
  auto err = bind_params(macro(), {}, 0, out);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->rule, "param-required");
  EXPECT_EQ(err->param, "uid");
}

// The end of a range rounds up as Grafana's does: from=now/d to=now/d is the
// whole of today, not an empty range at midnight.
TEST(ABI_12_TypedParams, TheEndOfARangeRoundsUp) {
  const int64_t now = 1'795'948'245'678;  // 2026-11-29T10:30:45.678Z
  const int64_t midnight = 1'795'910'400'000;
  BoundParams out;
  ASSERT_FALSE(
      bind_params(macro(), {{"uid", "abc"}, {"from", "now/d"}, {"to", "now/d"}}, now, out));
  ASSERT_NE(out.find("from"), nullptr);
  ASSERT_NE(out.find("to"), nullptr);
  EXPECT_EQ(out.find("from")->int_value, midnight);
  EXPECT_EQ(out.find("to")->int_value, midnight + 86'400'000 - 1);
}

TEST(ABI_12_TypedParams, TimesResolveAgainstNow) {
  EXPECT_EQ(parse_time_ms("now-1h", 10'000'000), 10'000'000 - 3'600'000);
  EXPECT_EQ(parse_time_ms("1970-01-01T00:01:00Z", 0), 60'000);
  EXPECT_EQ(parse_duration_ms("2w"), 2 * 604'800'000LL);
  EXPECT_FALSE(parse_duration_ms("-5m"));
}
