// Robustness: every field of every fixture a macro reads, missing, null or of
// the wrong type, gives a clear error or a sensible default; never a crash,
// never an exception across the ABI, never partial HTML.
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <gtest/gtest.h>

#include <functional>
#include <sstream>

#include "cases.h"
#include "fake_host.h"

namespace vitrine::test {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

enum class Mutation { kRemove, kNull, kWrongType };

Var wrong_type_for(const Var& v) {
  if (v.type() == typeid(Object::Ptr)) return Var(std::string("not an object"));
  if (v.type() == typeid(Array::Ptr)) return Var(42);
  if (v.isString()) return Var(12345);
  if (v.isBoolean()) return Var(std::string("yes"));
  if (v.isNumeric()) return Var(std::string("NaN"));
  Object::Ptr o = new Object;
  return Var(o);
}

// Visits every object member and array element, depth first, by path.
void collect_paths(const Var& v, const std::string& path, std::vector<std::string>& out) {
  if (v.type() == typeid(Object::Ptr)) {
    const auto o = v.extract<Object::Ptr>();
    for (const auto& [k, child] : *o) {
      out.push_back(path + "/" + k);
      collect_paths(child, path + "/" + k, out);
    }
  } else if (v.type() == typeid(Array::Ptr)) {
    const auto a = v.extract<Array::Ptr>();
    for (size_t i = 0; i < a->size(); ++i) {
      const std::string p = path + "/#" + std::to_string(i);
      out.push_back(p);
      collect_paths(a->get(static_cast<unsigned>(i)), p, out);
    }
  }
}

// Applies `m` at `path` inside a deep copy of `doc` and returns the JSON text.
std::string mutate(const std::string& doc_text, const std::string& path, Mutation m) {
  Poco::JSON::Parser parser;
  Var root = parser.parse(doc_text);
  std::vector<std::string> parts;
  std::stringstream ss(path.substr(1));
  std::string part;
  while (std::getline(ss, part, '/')) parts.push_back(part);
  Var cur = root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i][0] == '#') {
      cur = cur.extract<Array::Ptr>()->get(static_cast<unsigned>(std::stoul(parts[i].substr(1))));
    } else {
      cur = cur.extract<Object::Ptr>()->get(parts[i]);
    }
  }
  const std::string& last = parts.back();
  if (last[0] == '#') {
    Array::Ptr a = cur.extract<Array::Ptr>();
    const auto idx = static_cast<unsigned>(std::stoul(last.substr(1)));
    const Var old = a->get(idx);
    if (m == Mutation::kRemove) {
      a->remove(idx);
    } else {
      a->set(idx, m == Mutation::kNull ? Var() : wrong_type_for(old));
    }
  } else {
    Object::Ptr o = cur.extract<Object::Ptr>();
    const Var old = o->get(last);
    if (m == Mutation::kRemove) {
      o->remove(last);
    } else {
      o->set(last, m == Mutation::kNull ? Var() : wrong_type_for(old));
    }
  }
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(root, out);
  return out.str();
}

TEST(P8_Robustness, EveryFixtureFieldMissingNullOrWrongTypeIsHandled) {
  size_t renders = 0;
  for (const auto& c : macro_cases()) {
    if (c.fixture.empty()) continue;
    const std::string text = read_file(std::string(FIXTURES_DIR) + "/" + c.fixture);
    ASSERT_FALSE(text.empty()) << c.fixture;
    Poco::JSON::Parser parser;
    std::vector<std::string> paths;
    collect_paths(parser.parse(text), "", paths);
    ASSERT_GT(paths.size(), 10u);
    for (const auto& path : paths) {
      for (const Mutation m : {Mutation::kRemove, Mutation::kNull, Mutation::kWrongType}) {
        reset_fake();
        fake().bodies[c.path] = mutate(text, path, m);
        const Rendered r = render(c.plugin, c.macro, c.params);
        ++renders;
        SCOPED_TRACE(c.macro + " " + path + " mutation " + std::to_string(static_cast<int>(m)));
        if (r.status == VITRINE_OK) {
          EXPECT_FALSE(r.html.empty());
          EXPECT_TRUE(r.error.empty()) << r.error;
        } else {
          // A shape problem is Grafana's answer being unusable; never a bug.
          EXPECT_NE(r.status, VITRINE_E_INTERNAL) << r.error;
          EXPECT_TRUE(r.html.empty());
          EXPECT_GT(r.error.size(), 20u) << r.error;
        }
      }
    }
  }
  EXPECT_GT(renders, 1000u);
}

TEST(P8_Robustness, NonObjectDocumentsAreClearErrors) {
  for (const auto& c : macro_cases()) {
    if (c.path.empty()) continue;
    for (const std::string body : {"[]", "null", "42", "\"text\"", "{}", "{\"data\":[]}"}) {
      reset_fake();
      fake().bodies[c.path] = body;
      const Rendered r = render(c.plugin, c.macro, c.params);
      SCOPED_TRACE(c.macro + " body " + body);
      if (r.status == VITRINE_OK) {
        EXPECT_FALSE(r.html.empty());
      } else {
        EXPECT_NE(r.status, VITRINE_E_INTERNAL) << r.error;
        EXPECT_TRUE(r.html.empty());
        EXPECT_FALSE(r.error.empty());
      }
    }
  }
}

}  // namespace
}  // namespace vitrine::test
