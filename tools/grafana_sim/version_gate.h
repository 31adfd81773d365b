// Older Grafana stacks omit fields newer ones send. Fixtures are written in
// the newest shape; this removes what an older major version would not send.
#pragma once

#include <string>

namespace vitrine::sim {

struct Fixtures;

void apply_version_gate(Fixtures& fixtures);

// The "version" string /api/health reports for a major version.
std::string grafana_version_string(int major);

}  // namespace vitrine::sim
