// What a render call may ask of the host, as one interface. The C capability
// tables (capability_tables.cpp) are thin trampolines: they find the
// CallServices of the call handle and forward. The host runtime implements
// it with the egress fetcher, the store and the license gate; tests can
// implement it with fakes. A call without services answers every capability
// with VITRINE_E_UNAVAILABLE, so `vitrine plugins render` (no server, no
// store) still runs plugins that cope with that.
#pragma once

#include "vitrine/capabilities.h"

namespace vitrine::plugins {

class CallServices {
 public:
  virtual ~CallServices() = default;
  // Each mirrors the capability function of the same name; the call handle
  // is already validated. [thread-safe]
  virtual vitrine_status http_get(vitrine_call* call, const vitrine_http_request* request,
                                  vitrine_http_response* response) = 0;
  virtual vitrine_status cache_get(vitrine_call* call, vitrine_str key,
                                   vitrine_cache_entry* out) = 0;
  virtual vitrine_status cache_put(vitrine_call* call, vitrine_str key, vitrine_str value,
                                   uint32_t ttl_s) = 0;
  virtual vitrine_status asset_put(vitrine_call* call, vitrine_str content_type, vitrine_str data,
                                   vitrine_asset_ref* out) = 0;
  virtual void log(vitrine_call* call, vitrine_log_level level, vitrine_str message) = 0;
  virtual vitrine_status is_licensed(vitrine_call* call, vitrine_str feature,
                                     int32_t* licensed) = 0;
  // True when these services relay each call to another process's services
  // (a worker's, to the host's), which already logged the reason of any
  // failure they answered: the capability layer does not log it twice.
  virtual bool relays() const { return false; }
};

}  // namespace vitrine::plugins
