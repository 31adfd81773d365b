// The fake stack's content, loaded from JSON files shaped exactly like
// Grafana's responses. Loaded once at start and read-only afterwards, so the
// handlers can share it across threads without locking.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

namespace vitrine::sim {

struct Fixtures {
  int grafana_version = 11;
  Poco::JSON::Array::Ptr folders;                   // GET /api/folders
  std::vector<Poco::JSON::Object::Ptr> dashboards;  // each {dashboard, meta}, sorted by title
  Poco::JSON::Object::Ptr rules;                    // GET .../api/v1/rules
  Poco::JSON::Array::Ptr alertmanager_alerts;       // GET .../api/v2/alerts
  Poco::JSON::Array::Ptr annotations;               // GET /api/annotations, newest first

  Poco::JSON::Object::Ptr find_dashboard(const std::string& uid) const;
};

// The directory compiled in for the source tree, used when --fixtures is absent.
std::string default_fixtures_dir();

// Reads DIR/folders.json, DIR/dashboards/*.json, DIR/rules.json,
// DIR/alertmanager_alerts.json and DIR/annotations.json, then strips fields
// the chosen Grafana major version does not have. Throws with the file name
// on any missing or malformed file.
Fixtures load_fixtures(const std::string& dir, int grafana_version);

}  // namespace vitrine::sim
