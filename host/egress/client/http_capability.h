// The vitrine.http/1 capability ("get") as a free function a thin C
// trampoline calls (plugin_api/vitrine/capabilities.h). The trampoline finds
// the Fetcher, the space's approved origins and the calling plugin's
// manifest from the vitrine_call; this function does the rest: validates the
// plugin's structs, copies the borrowed inputs, runs the fetch, and hands
// the result back in host-owned strings (vitrine_call::keep).
//
// Status mapping (one to one with Outcome):
//   VITRINE_OK            an HTTP response arrived (any status)
//   VITRINE_E_DENIED      policy refused; rule + reason set; no fake HTTP response
//   VITRINE_E_UNAVAILABLE connect, TLS (rule egress-tls-*), reset
//   VITRINE_E_TIMEOUT     connect, handshake or total deadline
//   VITRINE_E_TOO_LARGE   header or body limit
//   VITRINE_E_UPSTREAM    malformed response, broken redirect
//   VITRINE_E_INVALID     a malformed request/response struct from the plugin
//   VITRINE_E_INTERNAL    a host-side failure
#pragma once

#include "egress/client/fetcher.h"
#include "egress/policy.h"
#include "manifest/manifest.h"
#include "plugins/call.h"
#include "vitrine/capabilities.h"

namespace vitrine::egress::client {

// More plugin headers than this is a malformed request (E_INVALID) before
// any copy; up to this many are copied and decide() applies
// header-too-many (kMaxPluginHeaders) with an audit record.
inline constexpr std::size_t kMaxCopiedHeaders = 1024;

vitrine_status to_vitrine_status(Outcome o);

// Never throws. `call` supplies space_key, deadline_ms (unix ms, 0 = none)
// and keep(); `plugin` must be the manifest of the plugin that owns `call`.
vitrine_status http_get(Fetcher& fetcher, const SpaceOrigins& space,
                        const manifest::Manifest& plugin, vitrine_call* call,
                        const vitrine_http_request* request,
                        vitrine_http_response* response) noexcept;

}  // namespace vitrine::egress::client
