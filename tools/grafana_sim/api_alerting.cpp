// Grafana-managed alerting: the Prometheus-compatible rules and alerts
// endpoints, and the Alertmanager v2 alerts endpoint.
#include <Poco/String.h>

#include <algorithm>
#include <set>

#include "api_handlers.h"
#include "label_matcher.h"

namespace vitrine::sim {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

// The Prometheus-compat error envelope Grafana uses for bad parameters.
Reply prom_bad_data(const std::string& message) {
  Object::Ptr obj = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  obj->set("status", "error");
  obj->set("errorType", "bad_data");
  obj->set("error", message);
  return json_reply(400, obj);
}

// Rule-level state names as the state filter understands them; nodata and
// error are not rule states (they live in health), so they never match here.
std::optional<std::string> rule_state_for_filter(const std::string& s) {
  if (s == "normal" || s == "inactive") return "inactive";
  if (s == "alerting" || s == "firing") return "firing";
  if (s == "pending") return "pending";
  if (s == "recovering") return "recovering";
  return std::nullopt;
}

bool in(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

std::string annotation(const Object::Ptr& rule, const std::string& key) {
  const auto anns = rule->getObject("annotations");
  return anns ? anns->optValue<std::string>(key, "") : "";
}

}  // namespace

Reply handle_prometheus_rules(const ApiRequest& req, const Fixtures& fx) {
  static const std::set<std::string> kStates = {"normal",  "inactive", "alerting", "firing",
                                                "pending", "nodata",   "error",    "recovering"};
  static const std::set<std::string> kHealth = {"ok", "error", "nodata", "unknown"};
  std::vector<std::string> states, health;
  for (auto s : req.params("state")) {
    s = Poco::toLower(s);
    if (kStates.count(s) == 0) return prom_bad_data("unknown state '" + s + "'");
    states.push_back(s);
  }
  for (auto h : req.params("health")) {
    h = Poco::toLower(h);
    if (kHealth.count(h) == 0) return prom_bad_data("unknown health '" + h + "'");
    health.push_back(h);
  }
  const auto dashboard_uid = req.param("dashboard_uid").value_or("");
  const auto panel_id = req.param("panel_id").value_or("");
  if (!panel_id.empty()) {
    if (!parse_int(panel_id)) return prom_bad_data("invalid panel_id: " + panel_id);
    if (dashboard_uid.empty()) return prom_bad_data("panel_id must be set with dashboard_uid");
  }
  const auto folder_uid = req.param("folder_uid").value_or("");
  const auto groups_wanted = req.params("rule_group");
  const auto names_wanted = req.params("rule_name");

  std::vector<std::string> rule_states;
  for (const auto& s : states) {
    if (auto r = rule_state_for_filter(s)) rule_states.push_back(*r);
  }

  const auto data = fx.rules->getObject("data");
  Object::Ptr out_data = new Object(*data);
  Array::Ptr out_groups = new Array();
  const auto groups = data->getArray("groups");
  for (std::size_t g = 0; groups && g < groups->size(); ++g) {
    const auto group = groups->getObject(static_cast<unsigned>(g));
    if (!folder_uid.empty() && group->optValue<std::string>("folderUid", "") != folder_uid &&
        group->optValue<std::string>("file", "") != folder_uid) {
      continue;
    }
    if (!groups_wanted.empty() && !in(groups_wanted, group->optValue<std::string>("name", ""))) {
      continue;
    }
    Array::Ptr kept = new Array();
    const auto rules = group->getArray("rules");
    for (std::size_t r = 0; rules && r < rules->size(); ++r) {
      const auto rule = rules->getObject(static_cast<unsigned>(r));
      if (!names_wanted.empty() && !in(names_wanted, rule->optValue<std::string>("name", "")))
        continue;
      if (!dashboard_uid.empty() && annotation(rule, "__dashboardUid__") != dashboard_uid) continue;
      if (!panel_id.empty() && annotation(rule, "__panelId__") != panel_id) continue;
      // Same quirk as Grafana: a state filter of only nodata/error keeps no rule.
      if (!states.empty() && !in(rule_states, rule->optValue<std::string>("state", ""))) continue;
      if (!health.empty() && !in(health, rule->optValue<std::string>("health", ""))) continue;
      kept->add(rule);
    }
    if (kept->size() == 0) continue;
    Object::Ptr copy = new Object(*group);
    copy->set("rules", kept);
    out_groups->add(copy);
  }
  out_data->set("groups", out_groups);
  Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  body->set("status", fx.rules->optValue<std::string>("status", "success"));
  body->set("data", out_data);
  return json_reply(200, body);
}

Reply handle_prometheus_alerts(const ApiRequest& /*req*/, const Fixtures& fx) {
  // Every alert instance of every rule, flattened, as Grafana does.
  Array::Ptr alerts = new Array();
  const auto groups = fx.rules->getObject("data")->getArray("groups");
  for (std::size_t g = 0; groups && g < groups->size(); ++g) {
    const auto rules = groups->getObject(static_cast<unsigned>(g))->getArray("rules");
    for (std::size_t r = 0; rules && r < rules->size(); ++r) {
      const auto instances = rules->getObject(static_cast<unsigned>(r))->getArray("alerts");
      for (std::size_t i = 0; instances && i < instances->size(); ++i) {
        alerts->add(instances->get(static_cast<unsigned>(i)));
      }
    }
  }
  Object::Ptr data = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  data->set("alerts", alerts);
  Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  body->set("status", "success");
  body->set("data", data);
  return json_reply(200, body);
}

Reply handle_alertmanager_alerts(const ApiRequest& req, const Fixtures& fx) {
  const auto flag = [&](const char* name) {
    return Poco::toLower(req.param(name).value_or("true")) != "false";
  };
  const bool active = flag("active");
  const bool silenced = flag("silenced");
  const bool inhibited = flag("inhibited");
  const bool unprocessed = flag("unprocessed");
  std::vector<LabelMatcher> matchers;
  for (const auto& f : req.params("filter")) {
    auto m = parse_label_matcher(f);
    if (!m) {
      Object::Ptr err = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      err->set("code", 400);
      err->set("message", "bad matcher format: " + f);
      return json_reply(400, err);
    }
    matchers.push_back(std::move(*m));
  }
  std::optional<std::regex> receiver;
  if (const auto r = req.param("receiver")) {
    try {
      receiver = std::regex(*r);
    } catch (const std::regex_error&) {
      return json_reply(400, Poco::Dynamic::Var("failed to parse receiver param: " + *r));
    }
  }

  Array::Ptr out = new Array();
  for (std::size_t i = 0; i < fx.alertmanager_alerts->size(); ++i) {
    const auto alert = fx.alertmanager_alerts->getObject(static_cast<unsigned>(i));
    const auto status = alert->getObject("status");
    const auto state = status ? status->optValue<std::string>("state", "") : "";
    const auto nonempty = [&](const char* key) {
      const auto arr = status ? status->getArray(key) : nullptr;
      return arr && arr->size() > 0;
    };
    if (state == "active" && !active) continue;
    if (state == "unprocessed" && !unprocessed) continue;
    if (nonempty("silencedBy") && !silenced) continue;
    if (nonempty("inhibitedBy") && !inhibited) continue;
    const auto labels = alert->getObject("labels");
    if (!std::all_of(matchers.begin(), matchers.end(),
                     [&](const LabelMatcher& m) { return m.matches(labels); })) {
      continue;
    }
    if (receiver) {
      bool any = false;
      const auto receivers = alert->getArray("receivers");
      for (std::size_t r = 0; receivers && r < receivers->size(); ++r) {
        const auto name =
            receivers->getObject(static_cast<unsigned>(r))->optValue<std::string>("name", "");
        any = any || std::regex_match(name, *receiver);
      }
      if (!any) continue;
    }
    out->add(alert);
  }
  return json_reply(200, out);
}

}  // namespace vitrine::sim
