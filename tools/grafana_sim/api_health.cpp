#include <Poco/JSON/Object.h>

#include "api_handlers.h"
#include "version_gate.h"

namespace vitrine::sim {

Reply handle_health(const ApiRequest& /*req*/, const Fixtures& fx) {
  // Same three fields, same order, as Grafana's /api/health.
  Poco::JSON::Object::Ptr obj = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  obj->set("commit", "5b85c4c2fcf");
  obj->set("database", "ok");
  obj->set("version", grafana_version_string(fx.grafana_version));
  return json_reply(200, obj);
}

}  // namespace vitrine::sim
