/*
 * Vitrine plugin ABI, version 1.
 *
 * This header is the whole contract between the Vitrine host and a renderer
 * plugin. It is plain C11 so that any toolchain can build a plugin, and it is
 * frozen: see docs/plugin-abi.md for the numbered rules (ABI-n) cited below.
 *
 * Conventions used on every declaration:
 *   [thread-safe]     may be called from any thread, concurrently.
 *   [main-thread]     called by the host only from its loading thread, never
 *                     concurrently with any other call into the plugin.
 *   [render-thread]   valid only on a thread that is inside a render() call,
 *                     for the call handle that render() received.
 *   borrowed          pointer + length owned by the caller, valid only for the
 *                     duration of the call that passed it (ABI-8).
 *   host-owned        memory allocated and freed by the host; the plugin never
 *                     frees it (ABI-9).
 */
#ifndef VITRINE_PLUGIN_H
#define VITRINE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI-1: the version a plugin is built against. A host loads a plugin when
 * the majors are equal and the plugin's minor is <= the host's minor. */
#define VITRINE_ABI_MAJOR 1
#define VITRINE_ABI_MINOR 0
#define VITRINE_ABI_PATCH 0

/* ABI-2: the one symbol a plugin exports. Everything else is hidden. */
#define VITRINE_ENTRY_SYMBOL "vitrine_entry"

#if defined(_WIN32)
#define VITRINE_EXPORT __declspec(dllexport)
#else
#define VITRINE_EXPORT __attribute__((visibility("default")))
#endif

/* ABI-5: every status a call can return. The set is closed; a later minor
 * version never returns a status a v1.0 plugin does not know. */
typedef int32_t vitrine_status;
#define VITRINE_OK 0                /* success */
#define VITRINE_E_INVALID 1         /* a bad argument: NULL, wrong struct_size, bad UTF-8, bad key */
#define VITRINE_E_DENIED 2          /* the host's policy refused it; reason names the rule id */
#define VITRINE_E_NOT_FOUND 3       /* no such cache entry, capability or parameter */
#define VITRINE_E_UNAVAILABLE 4     /* upstream unreachable: DNS, connect, TLS, reset */
#define VITRINE_E_TIMEOUT 5         /* the render deadline or a fetch deadline passed */
#define VITRINE_E_TOO_LARGE 6       /* a size limit: body, headers, asset, cache value */
#define VITRINE_E_NOT_LICENSED 7    /* the feature is not in the space's license */
#define VITRINE_E_UPSTREAM 8        /* upstream answered, but not usably (protocol error) */
#define VITRINE_E_INTERNAL 9        /* a bug or resource failure inside the host or plugin */
#define VITRINE_STATUS_COUNT 10

/* A borrowed byte string: not NUL-terminated unless stated. len 0 with a NULL
 * ptr is the empty string. */
typedef struct vitrine_str {
  const char* ptr;
  size_t len;
} vitrine_str;

typedef struct vitrine_version {
  uint16_t major;
  uint16_t minor;
  uint16_t patch;
  uint16_t reserved; /* 0 */
} vitrine_version;

/* A host-owned output sink (ABI-9). The plugin copies bytes into it; the
 * host owns the storage. write() returns VITRINE_E_TOO_LARGE once the host's
 * limit for that sink is reached, and ignores further bytes. [render-thread] */
typedef struct vitrine_sink {
  uint32_t struct_size;
  void* host_data; /* host-owned; opaque to the plugin */
  vitrine_status (*write)(struct vitrine_sink* sink, const char* data, size_t len);
} vitrine_sink;

/* The opaque handle of one render call (ABI-6). It carries the space, the
 * calling plugin and the deadline; every capability takes it first, so a
 * plugin can never name a space or another plugin. Valid only until the
 * render() that received it returns. */
typedef struct vitrine_call vitrine_call;

/* ---------------------------------------------------------------- render */

/* Parameter types, as declared in manifest.yml and already validated by the
 * host before render() is called (ABI-12). */
typedef int32_t vitrine_param_type;
#define VITRINE_PARAM_STRING 0   /* text_value */
#define VITRINE_PARAM_INTEGER 1  /* int_value */
#define VITRINE_PARAM_BOOLEAN 2  /* int_value: 0 or 1 */
#define VITRINE_PARAM_ENUM 3     /* text_value: one of the declared values */
#define VITRINE_PARAM_ENUM_LIST 4 /* items/item_count */
#define VITRINE_PARAM_DURATION 5 /* int_value: milliseconds; text_value: as written ("5m") */
#define VITRINE_PARAM_TIME 6     /* text_value: "now-7d" or RFC 3339; int_value: resolved unix ms */
#define VITRINE_PARAM_UID 7      /* text_value: a Grafana uid */

typedef struct vitrine_param {
  vitrine_str name;
  vitrine_param_type type;
  int32_t is_default; /* 1 when the author did not set it and the manifest default applies */
  vitrine_str text_value;
  int64_t int_value;
  const vitrine_str* items;
  size_t item_count;
} vitrine_param;

/* Everything the host knows about one macro invocation. All strings borrowed
 * for the duration of render(). Grows only at the end (ABI-3). */
typedef struct vitrine_render_request {
  uint32_t struct_size;
  vitrine_str macro_key;
  const vitrine_param* params;
  size_t param_count;
  vitrine_str space_key;
  vitrine_str page_id;
  vitrine_str locale;   /* BCP 47, e.g. "en-GB" */
  vitrine_str timezone; /* IANA name, e.g. "Europe/Berlin", or "browser" */
  vitrine_str theme;    /* "light" or "dark" */
  vitrine_str time_from; /* as written, e.g. "now-6h" */
  vitrine_str time_to;   /* as written, e.g. "now" */
  int64_t time_from_ms;  /* resolved, unix milliseconds */
  int64_t time_to_ms;
  vitrine_str grafana_base_url; /* the space's Grafana origin, e.g. "https://acme.grafana.net" */
  int64_t now_ms;        /* the host's clock at the start of the call */
  int64_t deadline_ms;   /* unix ms after which the host abandons the call */
} vitrine_render_request;

/* Where the plugin writes its answer. The sinks are host-owned. */
typedef struct vitrine_render_result {
  uint32_t struct_size;
  vitrine_sink* html;  /* the macro's HTML fragment; the host sanitizes it (ABI-13) */
  vitrine_sink* error; /* on failure: a human-readable reason for the page author */
  uint32_t cache_ttl_s; /* set by the plugin; 0 = do not cache */
} vitrine_render_result;

/* --------------------------------------------------------------- host */

/* The host's table, handed to create(). host-owned, valid for the process
 * lifetime (plugins are never unloaded, ABI-10). */
typedef struct vitrine_host {
  uint32_t struct_size;
  vitrine_version abi; /* the host's ABI version */
  const char* host_name;    /* NUL-terminated */
  const char* host_version; /* NUL-terminated */
  /* Returns the capability table for a versioned id such as
   * VITRINE_CAP_HTTP_V1, or NULL when the host does not offer it (ABI-4).
   * The table is host-owned and immutable. [thread-safe] */
  const void* (*get_capability)(const struct vitrine_host* host, const char* id);
} vitrine_host;

/* ------------------------------------------------------------- plugin */

/* A plugin instance, returned by create(). plugin-owned. */
typedef struct vitrine_plugin {
  uint32_t struct_size;
  void* plugin_data; /* plugin-owned; opaque to the host */
  /* Render one macro. Returns VITRINE_OK and writes result->html, or a
   * failure status and writes result->error. Must not throw, longjmp past
   * the boundary, or keep any borrowed pointer after returning (ABI-7,
   * ABI-8). Called concurrently for different calls. [thread-safe] */
  vitrine_status (*render)(const struct vitrine_plugin* self, vitrine_call* call,
                           const vitrine_render_request* request, vitrine_render_result* result);
  /* Release plugin_data at host shutdown. May be NULL. [main-thread] */
  void (*destroy)(const struct vitrine_plugin* self);
} vitrine_plugin;

/* The exported entry (ABI-2). A const object with static storage; the
 * strings it points to must live as long as the library. */
typedef struct vitrine_plugin_entry {
  uint32_t struct_size; /* sizeof(vitrine_plugin_entry) the plugin was built with */
  vitrine_version abi;  /* VITRINE_ABI_MAJOR/MINOR/PATCH at build time */
  const char* plugin_id;      /* must equal manifest plugin.id */
  const char* plugin_version; /* must equal manifest plugin.version */
  const char* const* macro_keys; /* NULL-terminated; must equal the manifest's macro keys */
  /* Create the plugin instance. On failure return a status other than
   * VITRINE_OK and write the reason into `reason`. [main-thread] */
  vitrine_status (*create)(const vitrine_host* host, const vitrine_plugin** out_plugin,
                           vitrine_sink* reason);
} vitrine_plugin_entry;

/* Fills the ABI fields of an entry; use it so that the struct_size and
 * version always match the header the plugin was compiled with. */
#define VITRINE_ENTRY_INIT(id, version, keys, create_fn)                                       \
  {sizeof(vitrine_plugin_entry), {VITRINE_ABI_MAJOR, VITRINE_ABI_MINOR, VITRINE_ABI_PATCH, 0}, \
   (id), (version), (keys), (create_fn)}

/* Convenience for plugin code: write a NUL-terminated string into a sink. */
static inline vitrine_status vitrine_sink_puts(vitrine_sink* sink, const char* text) {
  size_t n = 0;
  while (text[n] != '\0') ++n;
  return sink->write(sink, text, n);
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VITRINE_PLUGIN_H */
