#include "version_gate.h"

#include <initializer_list>

#include "fixtures.h"

namespace vitrine::sim {
namespace {

void drop(Poco::JSON::Object::Ptr obj, std::initializer_list<const char*> keys) {
  if (!obj) return;
  for (const char* k : keys) obj->remove(k);
}

}  // namespace

std::string grafana_version_string(int major) {
  switch (major) {
    case 9:
      return "9.5.21";
    case 10:
      return "10.4.12";
    default:
      return "11.3.1";
  }
}

void apply_version_gate(Fixtures& fx) {
  const int v = fx.grafana_version;
  if (v >= 11) return;
  const auto data = fx.rules->getObject("data");
  if (!data) return;
  if (v < 10) drop(data, {"totals"});
  const auto groups = data->getArray("groups");
  if (!groups) return;
  for (std::size_t g = 0; g < groups->size(); ++g) {
    const auto group = groups->getObject(static_cast<unsigned>(g));
    // Added in 11: the folder uid on groups and rules, rule uid, pause flag,
    // datasource list, keep-firing and filtered totals.
    drop(group, {"folderUid"});
    if (v < 10) drop(group, {"totals"});
    const auto rules = group ? group->getArray("rules") : nullptr;
    if (!rules) continue;
    for (std::size_t r = 0; r < rules->size(); ++r) {
      const auto rule = rules->getObject(static_cast<unsigned>(r));
      drop(rule, {"folderUid", "uid", "isPaused", "queriedDatasourceUIDs", "keepFiringFor",
                  "totalsFiltered", "notificationSettings"});
      if (v < 10) drop(rule, {"totals"});
    }
  }
  if (v < 10) {
    for (const auto& d : fx.dashboards) drop(d->getObject("meta"), {"publicDashboardEnabled"});
  }
}

}  // namespace vitrine::sim
