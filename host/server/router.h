// Route table: "METHOD /literal/{param}/..." templates matched segment by
// segment. The matched template (not the raw path) names the route in
// metrics and access logs, so ids never become label values.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "server/http.h"

namespace vitrine::server {

using Handler = std::function<Response(Request&)>;

class Router {
 public:
  // `path_template` segments are literals or {name}; a {name} matches one
  // non-empty segment.
  void add(const std::string& method, const std::string& path_template, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null: no route
    bool method_mismatch = false;      // the path exists with other methods (405)
    std::string allow;                 // those methods, for the Allow header
  };
  // Fills request.params and request.route on a match.
  Match match(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::string path_template;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

std::vector<std::string> split_path(const std::string& path);

}  // namespace vitrine::server
