#include "admin_api.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <stdexcept>

#include "fault_responder.h"
#include "json_log.h"

namespace vitrine::sim {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Reply admin_error(int status, const std::string& message) {
  Object::Ptr obj = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  obj->set("error", message);
  return json_reply(status, obj);
}

Object::Ptr rule_to_json(const FaultRule& r) {
  Object::Ptr obj = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  obj->set("mode", fault_mode_name(r.mode));
  Array::Ptr paths = new Array();
  for (const auto& p : r.paths) paths->add(p);
  obj->set("paths", paths);
  obj->set("rate", r.rate);
  obj->set("seed", r.seed);
  obj->set("latency_ms", r.latency_ms);
  obj->set("status", r.status);
  obj->set("drip_ms", r.drip_ms);
  obj->set("size_bytes", r.size_bytes);
  return obj;
}

Object::Ptr parse_object(const std::string& body) {
  if (Poco::trim(body).empty()) return new Object();
  try {
    return Poco::JSON::Parser().parse(body).extract<Object::Ptr>();
  } catch (const Poco::Exception& e) {
    throw std::invalid_argument("body is not a JSON object: " + e.displayText());
  }
}

template <typename T>
T number(const Object::Ptr& obj, const char* key, T fallback) {
  if (!obj->has(key)) return fallback;
  try {
    return obj->getValue<T>(key);
  } catch (const Poco::Exception&) {
    throw std::invalid_argument(std::string("field '") + key + "' must be a number");
  }
}

Reply faults_endpoint(SimContext& ctx, const std::string& method, const std::string& body) {
  if (method == "GET") {
    Array::Ptr list = new Array();
    for (const auto& r : ctx.faults.rules()) list->add(rule_to_json(r));
    return json_reply(200, list);
  }
  if (method == "DELETE") {
    ctx.faults.clear();
    log_event(LogLevel::kInfo, "faults cleared");
    return json_reply(200, Array::Ptr(new Array()));
  }
  if (method == "POST" || method == "PUT") {
    FaultRule rule = fault_rule_from_json(body);
    // PUT replaces every rule; POST adds one next to the others.
    if (method == "PUT") {
      ctx.faults.replace({rule});
    } else {
      ctx.faults.add(rule);
    }
    log_event(LogLevel::kInfo, "fault set", {{"mode", fault_mode_name(rule.mode)}});
    return json_reply(201, rule_to_json(rule));
  }
  return admin_error(405, "use GET, POST, PUT or DELETE on /faults");
}

Reply tokens_endpoint(SimContext& ctx, const std::string& method, const std::string& body) {
  if (method == "GET") {
    Object::Ptr obj = new Object();
    obj->set("count", ctx.tokens.size());  // never the tokens themselves
    return json_reply(200, obj);
  }
  if (method != "POST") return admin_error(405, "use GET or POST on /tokens");
  const auto obj = parse_object(body);
  if (obj->has("add")) ctx.tokens.add(obj->getValue<std::string>("add"));
  bool revoked = false;
  if (obj->has("revoke")) revoked = ctx.tokens.revoke(obj->getValue<std::string>("revoke"));
  if (!obj->has("add") && !obj->has("revoke")) {
    throw std::invalid_argument("expected {\"add\": TOKEN} or {\"revoke\": TOKEN}");
  }
  Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  out->set("count", ctx.tokens.size());
  if (obj->has("revoke")) out->set("revoked", revoked);
  return json_reply(200, out);
}

}  // namespace

FaultRule fault_rule_from_json(const std::string& body) {
  const auto obj = parse_object(body);
  if (!obj->has("mode")) throw std::invalid_argument("field 'mode' is required");
  FaultRule rule;
  bool error_rate = false;
  rule.mode = parse_fault_mode(obj->getValue<std::string>("mode"), &error_rate);
  if (error_rate) rule.rate = 0.5;
  rule.rate = number<double>(obj, "rate", rule.rate);
  if (rule.rate < 0.0 || rule.rate > 1.0) throw std::invalid_argument("'rate' must be in [0, 1]");
  rule.seed = number<std::uint64_t>(obj, "seed", rule.seed);
  rule.latency_ms = number<int>(obj, "latency_ms", rule.latency_ms);
  rule.status = number<int>(obj, "status", rule.status);
  rule.drip_ms = number<int>(obj, "drip_ms", rule.drip_ms);
  rule.size_bytes = number<std::uint64_t>(obj, "size_bytes", rule.size_bytes);
  if (rule.latency_ms < 0 || rule.drip_ms < 0) {
    throw std::invalid_argument("'latency_ms' and 'drip_ms' must not be negative");
  }
  if (rule.status < 400 || rule.status > 599) {
    throw std::invalid_argument("'status' must be a 4xx or 5xx code");
  }
  if (obj->has("paths")) {
    const auto v = obj->get("paths");
    if (v.type() == typeid(Array::Ptr)) {
      const auto arr = v.extract<Array::Ptr>();
      for (std::size_t i = 0; i < arr->size(); ++i) {
        rule.paths.push_back(arr->getElement<std::string>(static_cast<unsigned>(i)));
      }
    } else {
      const std::string text = v.convert<std::string>();
      std::size_t start = 0;
      while (start <= text.size()) {
        const auto comma = text.find(',', start);
        const auto piece = Poco::trim(text.substr(start, comma - start));
        if (!piece.empty()) rule.paths.push_back(piece);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
  }
  return rule;
}

Reply admin_dispatch(SimContext& ctx, const std::string& method, const std::string& path,
                     const std::string& body) {
  try {
    if (path == "/faults") return faults_endpoint(ctx, method, body);
    if (path == "/counters") {
      if (method != "GET") return admin_error(405, "use GET on /counters");
      Object::Ptr obj = new Object();
      for (const auto& [p, n] : ctx.counters.snapshot()) obj->set(p, n);
      return json_reply(200, obj);
    }
    if (path == "/counters/reset") {
      if (method != "POST") return admin_error(405, "use POST on /counters/reset");
      ctx.counters.reset();
      return json_reply(200, Object::Ptr(new Object()));
    }
    if (path == "/tokens") return tokens_endpoint(ctx, method, body);
    if (path == "/healthz") return json_reply(200, Poco::Dynamic::Var("ok"));
    return admin_error(404, "unknown admin path; see docs/simulator.md");
  } catch (const std::invalid_argument& e) {
    return admin_error(400, e.what());
  } catch (const Poco::Exception& e) {
    return admin_error(400, e.displayText());
  }
}

namespace {

class AdminRequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit AdminRequestHandler(SimContext& ctx) : ctx_(ctx) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    std::string body;
    Poco::StreamCopier::copyToString(request.stream(), body);
    std::string path;
    try {
      path = Poco::URI(request.getURI()).getPath();
    } catch (const Poco::Exception&) {
      path = "";
    }
    const Reply reply = admin_dispatch(ctx_, request.getMethod(), path, body);
    write_reply(response, reply, std::nullopt, ctx_.stopping);
  }

 private:
  SimContext& ctx_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* AdminRequestFactory::createRequestHandler(
    const Poco::Net::HTTPServerRequest& /*request*/) {
  return new AdminRequestHandler(ctx_);
}

}  // namespace vitrine::sim
