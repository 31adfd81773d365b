/*
 * Vitrine plugin SDK: escaping for HTML and URLs.
 *
 * Every string that came from Grafana or from the page author passes through
 * one of these before it reaches HTML or a URL. The host sanitizes plugin
 * HTML too (ABI-13), but escaping here keeps the fragment right before it is
 * sanitized. Each function exists twice: appending to a vsdk_buf, or writing
 * straight into a host vitrine_sink (`_sink`).
 *
 * Returns: VITRINE_OK, or the buffer's / sink's failure (see buf.h). Input
 * bytes are never validated as UTF-8 here: they are copied through, only the
 * listed bytes change.
 *
 * Thread rule: no state outside the arguments; any thread.
 */
#ifndef VITRINE_SDK_ESCAPE_H
#define VITRINE_SDK_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

#include "vitrine/plugin.h"
#include "vitrine/sdk/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Element text: & < > " ' become &amp; &lt; &gt; &quot; &#39;; a NUL byte
 * becomes U+FFFD (browsers replace it anyway). */
vitrine_status vsdk_html_escape(vsdk_buf* out, const char* text, size_t len);
vitrine_status vsdk_html_escape_sink(vitrine_sink* out, const char* text, size_t len);

/* A double- or single-quoted attribute value: the same set as element text,
 * kept as a separate function so one context can change without weakening
 * the other. Never use it for an unquoted attribute. */
vitrine_status vsdk_attr_escape(vsdk_buf* out, const char* text, size_t len);
vitrine_status vsdk_attr_escape_sink(vitrine_sink* out, const char* text, size_t len);

/* One URL path segment: every byte but the RFC 3986 unreserved characters
 * (A-Z a-z 0-9 - . _ ~) becomes %XX (upper-case hex), so '/' '?' '#' in a
 * uid cannot change the path. */
vitrine_status vsdk_url_path_segment(vsdk_buf* out, const char* text, size_t len);

/* One query name or value: the same unreserved-only rule (a space becomes
 * %20, never '+'), so '&' '=' '#' cannot add parameters. */
vitrine_status vsdk_url_query_component(vsdk_buf* out, const char* text, size_t len);

/* Appends one name=value pair to a URL being built in `url`: '?' before the
 * first pair (when `url` holds no '?' yet), '&' before later ones; name and
 * value encoded with vsdk_url_query_component(). Names and values are
 * NUL-terminated. */
vitrine_status vsdk_query_add(vsdk_buf* url, const char* name, const char* value);
/* The same with an explicit value length (values may contain NUL bytes). */
vitrine_status vsdk_query_add_n(vsdk_buf* url, const char* name, const char* value,
                                size_t value_len);
/* The same with a decimal integer value. */
vitrine_status vsdk_query_add_int(vsdk_buf* url, const char* name, int64_t value);

#ifdef __cplusplus
}
#endif

#endif /* VITRINE_SDK_ESCAPE_H */
