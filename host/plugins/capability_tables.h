// The frozen v1 capability tables (ABI-4), offered through HostTable.
#pragma once

#include "plugins/host_table.h"

namespace vitrine::plugins {

// Offers vitrine.http/1, cache/1, assets/1, log/1 and license/1.
void offer_standard_capabilities(HostTable& host);

}  // namespace vitrine::plugins
