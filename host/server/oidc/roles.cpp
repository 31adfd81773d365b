#include "server/oidc/roles.h"

namespace vitrine::server::oidc {

RoleMapping map_groups(const std::vector<std::string>& groups,
                       const std::map<std::string, std::vector<std::string>>& table) {
  RoleMapping out;
  std::vector<store::Role> roles;
  for (const auto& g : groups) {
    auto it = table.find(g);
    if (it == table.end()) continue;
    for (const auto& text : it->second) {
      auto r = store::parse_role(text);
      if (r) {
        roles.push_back(*r);
      } else {
        out.unknown.push_back(text);
      }
    }
  }
  if (!roles.empty()) out.roles = store::principal_of(std::move(roles)).roles;
  return out;
}

}  // namespace vitrine::server::oidc
