/*
 * ABI-3: the frozen layout of every ABI v1 struct on LP64 (x86_64, aarch64).
 * Included from a C11 and a C++20 translation unit; any accidental change to
 * a field's type, order or padding fails the build in both languages.
 * Growing a struct at the end changes only its size row: update that row in
 * the same change that bumps VITRINE_ABI_MINOR.
 */
#include <stddef.h>

#include "vitrine/capabilities.h"
#include "vitrine/plugin.h"

#ifdef __cplusplus
#define VT_ASSERT static_assert
#else
#define VT_ASSERT _Static_assert
#endif

#define VT_SIZE(type, n) VT_ASSERT(sizeof(type) == (n), "ABI break: sizeof(" #type ")")
#define VT_AT(type, field, n) \
  VT_ASSERT(offsetof(type, field) == (n), "ABI break: offsetof(" #type ", " #field ")")

VT_SIZE(vitrine_status, 4);
VT_SIZE(vitrine_str, 16);
VT_AT(vitrine_str, ptr, 0);
VT_AT(vitrine_str, len, 8);
VT_SIZE(vitrine_version, 8);
VT_AT(vitrine_version, minor, 2);
VT_AT(vitrine_version, patch, 4);
VT_SIZE(vitrine_sink, 24);
VT_AT(vitrine_sink, host_data, 8);
VT_AT(vitrine_sink, write, 16);
VT_SIZE(vitrine_param, 64);
VT_AT(vitrine_param, type, 16);
VT_AT(vitrine_param, is_default, 20);
VT_AT(vitrine_param, text_value, 24);
VT_AT(vitrine_param, int_value, 40);
VT_AT(vitrine_param, items, 48);
VT_AT(vitrine_param, item_count, 56);
VT_SIZE(vitrine_render_request, 200);
VT_AT(vitrine_render_request, macro_key, 8);
VT_AT(vitrine_render_request, params, 24);
VT_AT(vitrine_render_request, param_count, 32);
VT_AT(vitrine_render_request, space_key, 40);
VT_AT(vitrine_render_request, page_id, 56);
VT_AT(vitrine_render_request, locale, 72);
VT_AT(vitrine_render_request, timezone, 88);
VT_AT(vitrine_render_request, theme, 104);
VT_AT(vitrine_render_request, time_from, 120);
VT_AT(vitrine_render_request, time_to, 136);
VT_AT(vitrine_render_request, time_from_ms, 152);
VT_AT(vitrine_render_request, time_to_ms, 160);
VT_AT(vitrine_render_request, grafana_base_url, 168);
VT_AT(vitrine_render_request, now_ms, 184);
VT_AT(vitrine_render_request, deadline_ms, 192);
VT_SIZE(vitrine_render_result, 32);
VT_AT(vitrine_render_result, html, 8);
VT_AT(vitrine_render_result, error, 16);
VT_AT(vitrine_render_result, cache_ttl_s, 24);
VT_SIZE(vitrine_host, 40);
VT_AT(vitrine_host, abi, 4);
VT_AT(vitrine_host, host_name, 16);
VT_AT(vitrine_host, host_version, 24);
VT_AT(vitrine_host, get_capability, 32);
VT_SIZE(vitrine_plugin, 32);
VT_AT(vitrine_plugin, plugin_data, 8);
VT_AT(vitrine_plugin, render, 16);
VT_AT(vitrine_plugin, destroy, 24);
VT_SIZE(vitrine_plugin_entry, 48);
VT_AT(vitrine_plugin_entry, abi, 4);
VT_AT(vitrine_plugin_entry, plugin_id, 16);
VT_AT(vitrine_plugin_entry, plugin_version, 24);
VT_AT(vitrine_plugin_entry, macro_keys, 32);
VT_AT(vitrine_plugin_entry, create, 40);
VT_SIZE(vitrine_http_header, 32);
VT_AT(vitrine_http_header, value, 16);
VT_SIZE(vitrine_http_request, 48);
VT_AT(vitrine_http_request, url, 8);
VT_AT(vitrine_http_request, headers, 24);
VT_AT(vitrine_http_request, header_count, 32);
VT_AT(vitrine_http_request, timeout_ms, 40);
VT_SIZE(vitrine_http_response, 88);
VT_AT(vitrine_http_response, http_status, 4);
VT_AT(vitrine_http_response, content_type, 8);
VT_AT(vitrine_http_response, body, 24);
VT_AT(vitrine_http_response, final_url, 40);
VT_AT(vitrine_http_response, rule, 56);
VT_AT(vitrine_http_response, reason, 72);
VT_SIZE(vitrine_http_v1, 16);
VT_AT(vitrine_http_v1, get, 8);
VT_SIZE(vitrine_cache_entry, 56);
VT_AT(vitrine_cache_entry, value, 8);
VT_AT(vitrine_cache_entry, stored_at_ms, 24);
VT_AT(vitrine_cache_entry, is_stale, 32);
VT_AT(vitrine_cache_entry, reason, 40);
VT_SIZE(vitrine_cache_v1, 24);
VT_AT(vitrine_cache_v1, get, 8);
VT_AT(vitrine_cache_v1, put, 16);
VT_SIZE(vitrine_asset_ref, 40);
VT_AT(vitrine_asset_ref, url, 8);
VT_AT(vitrine_asset_ref, reason, 24);
VT_SIZE(vitrine_assets_v1, 16);
VT_AT(vitrine_assets_v1, put, 8);
VT_SIZE(vitrine_log_v1, 16);
VT_AT(vitrine_log_v1, log, 8);
VT_SIZE(vitrine_license_v1, 16);
VT_AT(vitrine_license_v1, is_licensed, 8);

/* ABI-5: the status set is closed and numbered once. */
VT_ASSERT(VITRINE_OK == 0 && VITRINE_E_INVALID == 1 && VITRINE_E_DENIED == 2 &&
              VITRINE_E_NOT_FOUND == 3 && VITRINE_E_UNAVAILABLE == 4 && VITRINE_E_TIMEOUT == 5 &&
              VITRINE_E_TOO_LARGE == 6 && VITRINE_E_NOT_LICENSED == 7 &&
              VITRINE_E_UPSTREAM == 8 && VITRINE_E_INTERNAL == 9 && VITRINE_STATUS_COUNT == 10,
          "ABI break: status codes renumbered");

#ifdef VITRINE_LAYOUT_SELFTEST
/* Used only by the ABI_3_LayoutTableRejectsAWrongRow test: a deliberately
 * wrong row, which must stop compilation. */
VT_AT(vitrine_plugin_entry, create, 32);
#endif
