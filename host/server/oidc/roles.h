// Groups to roles (auth.oidc.roles): at each sign-in the user's groups
// claim is mapped through the table; a role for a space that does not
// exist is dropped (named in the result); no role at all refuses the
// sign-in (rule oidc-no-role).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "store/admin_tokens.h"

namespace vitrine::server::oidc {

struct RoleMapping {
  std::vector<store::Role> roles;    // deduplicated, platform-admin first
  std::vector<std::string> unknown;  // mapped role texts that did not parse
};

RoleMapping map_groups(const std::vector<std::string>& groups,
                       const std::map<std::string, std::vector<std::string>>& table);

}  // namespace vitrine::server::oidc
