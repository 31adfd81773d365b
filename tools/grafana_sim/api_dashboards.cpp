// /api/search, /api/dashboards/uid/:uid and /api/folders.
#include <Poco/String.h>

#include <algorithm>
#include <set>

#include "api_handlers.h"

namespace vitrine::sim {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::vector<std::string> split_csv(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    std::size_t start = 0;
    while (start <= v.size()) {
      const auto comma = v.find(',', start);
      const auto piece = Poco::trim(v.substr(start, comma - start));
      if (!piece.empty()) out.push_back(piece);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

bool contains_ci(const std::string& haystack, const std::string& needle) {
  return Poco::toLower(haystack).find(Poco::toLower(needle)) != std::string::npos;
}

Object::Ptr folder_hit(const Object::Ptr& folder) {
  const auto uid = folder->getValue<std::string>("uid");
  const auto title = folder->getValue<std::string>("title");
  const auto slug = Poco::toLower(title);
  Object::Ptr hit = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  hit->set("id", folder->get("id"));
  hit->set("uid", uid);
  hit->set("title", title);
  hit->set("uri", "db/" + slug);
  hit->set("url", "/dashboards/f/" + uid + "/" + slug);
  hit->set("slug", "");
  hit->set("type", "dash-folder");
  hit->set("tags", Array::Ptr(new Array()));
  hit->set("isStarred", false);
  hit->set("sortMeta", 0);
  return hit;
}

Object::Ptr dashboard_hit(const Object::Ptr& entry) {
  const auto dash = entry->getObject("dashboard");
  const auto meta = entry->getObject("meta");
  Object::Ptr hit = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  hit->set("id", dash->get("id"));
  hit->set("uid", dash->get("uid"));
  hit->set("title", dash->get("title"));
  hit->set("uri", "db/" + meta->optValue<std::string>("slug", ""));
  hit->set("url", meta->get("url"));
  hit->set("slug", "");
  hit->set("type", "dash-db");
  hit->set("tags",
           dash->has("tags") ? dash->get("tags") : Poco::Dynamic::Var(Array::Ptr(new Array())));
  hit->set("isStarred", false);
  // Dashboards in the General folder carry no folder fields at all.
  if (meta->optValue<Poco::Int64>("folderId", 0) != 0) {
    hit->set("folderId", meta->get("folderId"));
    hit->set("folderUid", meta->get("folderUid"));
    hit->set("folderTitle", meta->get("folderTitle"));
    hit->set("folderUrl", meta->get("folderUrl"));
  }
  hit->set("sortMeta", 0);
  return hit;
}

std::set<std::string> tags_of(const Object::Ptr& dash) {
  std::set<std::string> out;
  const auto tags = dash->getArray("tags");
  if (!tags) return out;
  for (std::size_t i = 0; i < tags->size(); ++i)
    out.insert(tags->getElement<std::string>(static_cast<unsigned>(i)));
  return out;
}

}  // namespace

Reply handle_search(const ApiRequest& req, const Fixtures& fx) {
  const auto query = req.param("query").value_or("");
  const auto wanted_tags = req.params("tag");
  const auto type = req.param("type").value_or("");
  const auto folder_uids = split_csv(req.params("folderUIDs"));
  const auto dashboard_uids = split_csv(req.params("dashboardUIDs"));
  long long limit = 1000;
  if (const auto l = req.param("limit")) {
    const auto parsed = parse_int(*l);
    if (!parsed) return grafana_message(400, "bad request data");
    limit = std::clamp<long long>(*parsed <= 0 ? 1000 : *parsed, 1, 5000);
  }
  if (!type.empty() && type != "dash-db" && type != "dash-folder") {
    return grafana_message(400, "bad request data");
  }

  Array::Ptr out = new Array();
  const bool folders_allowed =
      type != "dash-db" && wanted_tags.empty() && folder_uids.empty() && dashboard_uids.empty();
  if (folders_allowed) {
    for (std::size_t i = 0; i < fx.folders->size(); ++i) {
      const auto folder = fx.folders->getObject(static_cast<unsigned>(i));
      if (!query.empty() && !contains_ci(folder->getValue<std::string>("title"), query)) continue;
      out->add(folder_hit(folder));
    }
  }
  if (type != "dash-folder") {
    for (const auto& entry : fx.dashboards) {
      const auto dash = entry->getObject("dashboard");
      const auto meta = entry->getObject("meta");
      if (!query.empty() && !contains_ci(dash->optValue<std::string>("title", ""), query)) continue;
      const auto tags = tags_of(dash);
      const bool has_all = std::all_of(wanted_tags.begin(), wanted_tags.end(),
                                       [&](const std::string& t) { return tags.count(t) > 0; });
      if (!has_all) continue;
      if (!folder_uids.empty()) {
        auto folder = meta->optValue<std::string>("folderUid", "");
        if (folder.empty()) folder = "general";
        if (std::find(folder_uids.begin(), folder_uids.end(), folder) == folder_uids.end())
          continue;
      }
      if (!dashboard_uids.empty() &&
          std::find(dashboard_uids.begin(), dashboard_uids.end(),
                    dash->optValue<std::string>("uid", "")) == dashboard_uids.end()) {
        continue;
      }
      out->add(dashboard_hit(entry));
    }
  }
  while (static_cast<long long>(out->size()) > limit)
    out->remove(static_cast<unsigned>(out->size() - 1));
  return json_reply(200, out);
}

Reply handle_dashboard_by_uid(const ApiRequest& /*req*/, const Fixtures& fx,
                              const std::string& uid) {
  const auto entry = fx.find_dashboard(uid);
  if (!entry) return grafana_message(404, "Dashboard not found");
  return json_reply(200, entry);
}

Reply handle_folders(const ApiRequest& req, const Fixtures& fx) {
  long long limit = 1000;
  if (const auto l = req.param("limit")) {
    const auto parsed = parse_int(*l);
    if (!parsed || *parsed < 0) return grafana_message(400, "bad request data");
    if (*parsed > 0) limit = *parsed;
  }
  Array::Ptr out = new Array();
  for (std::size_t i = 0; i < fx.folders->size() && static_cast<long long>(i) < limit; ++i) {
    out->add(fx.folders->get(static_cast<unsigned>(i)));
  }
  return json_reply(200, out);
}

}  // namespace vitrine::sim
