/* The SDK's C API compiled as strict C11 (no extensions, -Wpedantic): proves
 * the headers and library are plain C a C plugin can use, by reading a
 * Grafana-shaped answer, escaping it into HTML, building a URL and writing a
 * time, the way plugins/hello or a C plugin does. Exit status 0 on success;
 * every failed check is printed. */
#include <stdio.h>
#include <string.h>
#include <vitrine/sdk/sdk.h>

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

static int str_eq(vitrine_str s, const char* want) {
  return s.ptr != NULL && s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static void reads_a_search_answer(void) {
  static const char body[] =
      "[{\"uid\":\"a1\",\"title\":\"CPU <load>\",\"tags\":[\"prod\"],\"id\":7},"
      "{\"uid\":\"b2\",\"title\":\"Caf\\u00e9\",\"tags\":[]}]";
  vsdk_json_doc* doc = NULL;
  vsdk_json_error err;
  CHECK(vsdk_json_parse(body, sizeof body - 1, NULL, &doc, &err) == VITRINE_OK);
  const vsdk_json* root = vsdk_json_root(doc);
  CHECK(vsdk_json_type_of(root) == VSDK_JSON_ARRAY);
  CHECK(vsdk_json_size(root) == 2);

  vsdk_buf html;
  vsdk_buf_init(&html, 4096);
  vsdk_buf_puts(&html, "<ul>");
  for (size_t i = 0; i < vsdk_json_size(root); ++i) {
    vitrine_str title;
    if (!vsdk_json_string(vsdk_json_get(vsdk_json_at(root, i), "title"), &title)) continue;
    vsdk_buf_puts(&html, "<li>");
    vsdk_html_escape(&html, title.ptr, title.len);
    vsdk_buf_puts(&html, "</li>");
  }
  vsdk_buf_puts(&html, "</ul>");
  CHECK(html.failed == VITRINE_OK);
  CHECK(strcmp(vsdk_buf_cstr(&html), "<ul><li>CPU &lt;load&gt;</li><li>Caf\xC3\xA9</li></ul>") ==
        0);
  vsdk_buf_free(&html);

  int64_t id = 0;
  CHECK(vsdk_json_int64(vsdk_json_get(vsdk_json_at(root, 0), "id"), &id) == 1 && id == 7);
  CHECK(vsdk_json_get(vsdk_json_at(root, 1), "id") == NULL);
  CHECK(str_eq(vsdk_json_key_at(vsdk_json_at(root, 0), 0), "uid"));
  vsdk_json_free(doc);
}

static void reports_errors_with_offsets(void) {
  vsdk_json_doc* doc = NULL;
  vsdk_json_error err;
  CHECK(vsdk_json_parse("{\"a\":}", 6, NULL, &doc, &err) == VITRINE_E_INVALID);
  CHECK(doc == NULL);
  CHECK(err.offset == 5);
  CHECK(strstr(err.message, "unexpected character '}'") != NULL);
}

static void builds_urls_and_times(void) {
  vsdk_buf url;
  vsdk_buf_init(&url, 0);
  vsdk_buf_puts(&url, "https://grafana.example/api/dashboards/uid/");
  vsdk_url_path_segment(&url, "a/b", 3);
  vsdk_query_add(&url, "q", "x y");
  vsdk_query_add_int(&url, "limit", 5);
  CHECK(strcmp(vsdk_buf_cstr(&url),
               "https://grafana.example/api/dashboards/uid/a%2Fb?q=x%20y&limit=5") == 0);
  vsdk_buf_free(&url);

  char text[VSDK_TIME_BUF];
  CHECK(vsdk_time_rfc3339(1795948920000, text) == 20);
  CHECK(strcmp(text, "2026-11-29T10:42:00Z") == 0);
  vsdk_time_display(1795948920000, 3600, text);
  CHECK(strcmp(text, "2026-11-29 11:42 +01:00") == 0);
  int64_t ms = 0;
  CHECK(vsdk_time_parse_rfc3339("2026-11-29T10:42:00Z", 20, &ms) == 1 && ms == 1795948920000);
}

int main(void) {
  reads_a_search_answer();
  reports_errors_with_offsets();
  builds_urls_and_times();
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("the SDK's C API works from C11\n");
  return 0;
}
