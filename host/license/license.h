// A Vitrine license: who may run which gated features, for how many spaces,
// between which dates. Only verify_license() produces a trusted License.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vitrine::license {

struct License {
  std::string licensee;
  std::string license_id;
  std::string product;  // must be "vitrine"
  std::vector<std::string> features;
  uint32_t max_spaces = 0;  // 0 = unlimited
  int64_t issued = 0;       // unix seconds
  int64_t not_before = 0;
  int64_t expires = 0;
  std::string key_id;  // the key that signed it
  bool dev = false;    // signed by a development key (accepted only in dev mode)

  bool has_feature(const std::string& f) const;
};

}  // namespace vitrine::license
