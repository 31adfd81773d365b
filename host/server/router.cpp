#include "server/router.h"

namespace vitrine::server {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto next = path.find('/', i);
    if (next == std::string::npos) next = path.size();
    out.push_back(path.substr(i, next - i));
    i = next;
  }
  return out;
}

void Router::add(const std::string& method, const std::string& path_template, Handler handler) {
  routes_.push_back(Route{method, path_template, split_path(path_template), std::move(handler)});
}

Router::Match Router::match(Request& request) const {
  Match result;
  // An empty segment ("//") or a trailing slash is a different resource; we
  // do not normalize, so "/spaces//x" never reaches a handler as "/spaces/x".
  if (request.path.empty() || request.path[0] != '/' ||
      request.path.find("//") != std::string::npos ||
      (request.path.size() > 1 && request.path.back() == '/')) {
    return result;
  }
  const auto parts = split_path(request.path);
  for (const auto& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (std::size_t i = 0; i < parts.size() && ok; ++i) {
      const std::string& seg = route.segments[i];
      if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
        params[seg.substr(1, seg.size() - 2)] = parts[i];
      } else {
        ok = seg == parts[i];
      }
    }
    if (!ok) continue;
    const bool head_as_get = request.method == "HEAD" && route.method == "GET";
    if (route.method != request.method && !head_as_get) {
      result.method_mismatch = true;
      result.allow += (result.allow.empty() ? "" : ", ") + route.method;
      continue;
    }
    request.params = std::move(params);
    request.route = route.path_template;
    result.handler = &route.handler;
    result.method_mismatch = false;
    return result;
  }
  return result;
}

}  // namespace vitrine::server
