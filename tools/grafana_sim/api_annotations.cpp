// /api/annotations with Grafana's filters and its overlap rule for regions.
#include <Poco/String.h>

#include <algorithm>
#include <set>

#include "api_handlers.h"

namespace vitrine::sim {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Poco::Int64 int_field(const Object::Ptr& o, const std::string& key, Poco::Int64 fallback) {
  if (!o->has(key) || o->isNull(key)) return fallback;
  return o->getValue<Poco::Int64>(key);
}

}  // namespace

Reply handle_annotations(const ApiRequest& req, const Fixtures& fx) {
  std::optional<long long> from, to, panel_id, dashboard_id;
  long long limit = 100;
  struct IntParam {
    const char* name;
    std::optional<long long>* target;
  };
  for (const IntParam p :
       {IntParam{"from", &from}, IntParam{"to", &to}, IntParam{"panelId", &panel_id},
        IntParam{"dashboardId", &dashboard_id}}) {
    if (const auto raw = req.param(p.name)) {
      const auto v = parse_int(*raw);
      if (!v) return grafana_message(400, "bad request data");
      *p.target = v;
    }
  }
  if (const auto raw = req.param("limit")) {
    const auto v = parse_int(*raw);
    if (!v) return grafana_message(400, "bad request data");
    if (*v > 0) limit = *v;
  }
  const auto dashboard_uid = req.param("dashboardUID");
  const auto type = req.param("type").value_or("");
  const auto tags = req.params("tags");
  const bool match_any = Poco::toLower(req.param("matchAny").value_or("false")) == "true";

  std::vector<Object::Ptr> hits;
  for (std::size_t i = 0; i < fx.annotations->size(); ++i) {
    const auto a = fx.annotations->getObject(static_cast<unsigned>(i));
    const auto time = int_field(a, "time", 0);
    // Point annotations and old rows without timeEnd end where they start.
    const auto time_end = int_field(a, "timeEnd", time);
    // Grafana's query: epoch <= to AND epoch_end >= from (regions overlap).
    if (to && time > *to) continue;
    if (from && time_end < *from) continue;
    if (dashboard_uid) {
      const auto uid = a->has("dashboardUID") && !a->isNull("dashboardUID")
                           ? a->getValue<std::string>("dashboardUID")
                           : std::string();
      if (uid != *dashboard_uid) continue;
    }
    if (dashboard_id && int_field(a, "dashboardId", 0) != *dashboard_id) continue;
    if (panel_id && int_field(a, "panelId", 0) != *panel_id) continue;
    const auto alert_id = int_field(a, "alertId", 0);
    if (type == "alert" && alert_id == 0) continue;
    if (type == "annotation" && alert_id != 0) continue;
    if (!tags.empty()) {
      std::set<std::string> have;
      if (const auto arr = a->getArray("tags")) {
        for (std::size_t t = 0; t < arr->size(); ++t) {
          have.insert(arr->getElement<std::string>(static_cast<unsigned>(t)));
        }
      }
      const auto present = [&](const std::string& t) { return have.count(t) > 0; };
      const bool ok = match_any ? std::any_of(tags.begin(), tags.end(), present)
                                : std::all_of(tags.begin(), tags.end(), present);
      if (!ok) continue;
    }
    hits.push_back(a);
  }
  // Newest first, like Grafana's ORDER BY epoch*1000+epoch_end DESC.
  std::stable_sort(hits.begin(), hits.end(), [](const Object::Ptr& x, const Object::Ptr& y) {
    return int_field(x, "time", 0) > int_field(y, "time", 0);
  });
  Array::Ptr out = new Array();
  for (const auto& h : hits) {
    if (static_cast<long long>(out->size()) >= limit) break;
    out->add(h);
  }
  return json_reply(200, out);
}

}  // namespace vitrine::sim
