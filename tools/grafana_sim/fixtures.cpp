#include "fixtures.h"

#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "version_gate.h"

namespace vitrine::sim {
namespace {

Poco::Dynamic::Var parse_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read fixture " + path.string());
  std::stringstream buf;
  buf << in.rdbuf();
  try {
    // Preserve key order so responses read like the fixture (and like Grafana).
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return parser.parse(buf.str());
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("malformed fixture " + path.string() + ": " + e.displayText());
  }
}

template <typename T>
T as(const Poco::Dynamic::Var& v, const std::filesystem::path& path) {
  try {
    return v.extract<T>();
  } catch (const Poco::Exception&) {
    throw std::runtime_error("fixture " + path.string() + " has the wrong top-level type");
  }
}

}  // namespace

// Installed, the fixtures sit in DATADIR/vitrine/grafana-sim/fixtures; the
// path from BINDIR to there is compiled in, so an installed simulator finds
// them from its own location whatever the prefix. A binary that is not
// installed (the build tree) has nothing there and uses the source tree.
std::string default_fixtures_dir() {
  if (const char* env = std::getenv("VITRINE_SIM_FIXTURES"); env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed =
        (self.parent_path() / VITRINE_SIM_INSTALLED_FIXTURES_FROM_BIN).lexically_normal();
    if (std::filesystem::is_directory(installed, ec)) return installed.string();
  }
  return VITRINE_SIM_FIXTURES_DIR;
}

Poco::JSON::Object::Ptr Fixtures::find_dashboard(const std::string& uid) const {
  for (const auto& d : dashboards) {
    const auto dash = d->getObject("dashboard");
    if (dash && dash->optValue<std::string>("uid", "") == uid) return d;
  }
  return nullptr;
}

Fixtures load_fixtures(const std::string& dir, int grafana_version) {
  if (grafana_version < 9 || grafana_version > 11) {
    throw std::invalid_argument("--grafana-version must be 9, 10 or 11");
  }
  namespace fs = std::filesystem;
  const fs::path root(dir);
  Fixtures fx;
  fx.grafana_version = grafana_version;
  fx.folders = as<Poco::JSON::Array::Ptr>(parse_file(root / "folders.json"), root / "folders.json");
  fx.rules = as<Poco::JSON::Object::Ptr>(parse_file(root / "rules.json"), root / "rules.json");
  fx.alertmanager_alerts = as<Poco::JSON::Array::Ptr>(parse_file(root / "alertmanager_alerts.json"),
                                                      root / "alertmanager_alerts.json");
  fx.annotations =
      as<Poco::JSON::Array::Ptr>(parse_file(root / "annotations.json"), root / "annotations.json");

  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(root / "dashboards")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto obj = as<Poco::JSON::Object::Ptr>(parse_file(f), f);
    if (!obj->getObject("dashboard") || !obj->getObject("meta")) {
      throw std::runtime_error("fixture " + f.string() + " needs top-level dashboard and meta");
    }
    fx.dashboards.push_back(obj);
  }
  std::sort(fx.dashboards.begin(), fx.dashboards.end(), [](const auto& a, const auto& b) {
    return a->getObject("dashboard")->template optValue<std::string>("title", "") <
           b->getObject("dashboard")->template optValue<std::string>("title", "");
  });

  apply_version_gate(fx);
  return fx;
}

}  // namespace vitrine::sim
