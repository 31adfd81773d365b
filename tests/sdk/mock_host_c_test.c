/*
 * The mock host from plain C11, no test framework: a C plugin author's unit
 * test loads the bundled hello plugin and a probe, renders, injects a
 * failure and reads the captured request. Exits non-zero on the first
 * failed check, naming it.
 */
#include <stdio.h>
#include <string.h>
#include <vitrine/testing/mock_host.h>

static int failures = 0;

#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                        \
    }                                                                    \
  } while (0)

static int contains(vitrine_str s, const char* needle) {
  const size_t n = strlen(needle);
  if (s.ptr == NULL || s.len < n) return 0;
  for (size_t i = 0; i + n <= s.len; ++i) {
    if (memcmp(s.ptr + i, needle, n) == 0) return 1;
  }
  return 0;
}

static void hello_renders_its_greeting(void) {
  vitrine_mock_host* host = vitrine_mock_host_create();
  const char* error = NULL;
  CHECK(vitrine_mock_host_load(host, PLUGINS_DIR "/hello.so", &error) == VITRINE_OK);
  CHECK(strcmp(vitrine_mock_host_plugin_id(host), "hello") == 0);
  CHECK(vitrine_mock_host_param_string(host, "name", "C <11>") == VITRINE_OK);
  vitrine_mock_result r;
  memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  CHECK(vitrine_mock_host_render(host, "hello", &r) == VITRINE_OK);
  const char* want = "<p class=\"vitrine-hello\">Hello, C &lt;11&gt;!</p>";
  CHECK(r.html.len == strlen(want) && memcmp(r.html.ptr, want, r.html.len) == 0);
  CHECK(r.violations.len == 0);
  vitrine_mock_host_destroy(host);
}

static void unanswered_request_is_denied_and_captured(void) {
  vitrine_mock_host* host = vitrine_mock_host_create();
  CHECK(vitrine_mock_host_load(host, PROBE_DIR "/mock_probe.so", NULL) == VITRINE_OK);
  vitrine_mock_host_param_string(host, "op", "get");
  vitrine_mock_host_param_string(host, "url", "https://mock.grafana.invalid/api/search?query=x");
  vitrine_mock_result r;
  memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  CHECK(vitrine_mock_host_render(host, "probe", &r) == VITRINE_OK);
  CHECK(contains(r.html, "status=2 "));
  CHECK(contains(r.html, "rule=mock-no-answer"));
  CHECK(contains(r.html, "https://mock.grafana.invalid/api/search?query=x"));
  CHECK(vitrine_mock_host_request_count(host) == 1);
  CHECK(strcmp(vitrine_mock_host_request_header(host, 0, "accept"), "application/json") == 0);

  CHECK(vitrine_mock_host_fail(host, "https://mock.grafana.invalid/api/search?query=x",
                               VITRINE_E_UNAVAILABLE, NULL, "connection refused") == VITRINE_OK);
  CHECK(vitrine_mock_host_render(host, "probe", &r) == VITRINE_OK);
  CHECK(contains(r.html, "status=4 "));
  CHECK(contains(r.html, "reason=connection refused"));
  CHECK(vitrine_mock_host_requests_to(host, "https://mock.grafana.invalid/api/search?query=x") ==
        2);
  vitrine_mock_host_destroy(host);
}

static void newer_abi_is_refused_in_words(void) {
  vitrine_mock_host* host = vitrine_mock_host_create();
  const char* error = NULL;
  CHECK(vitrine_mock_host_load(host, PROBE_DIR "/mock_probe_newer.so", &error) == VITRINE_E_DENIED);
  CHECK(error != NULL && strstr(error, "[abi-minor-too-new]") != NULL);
  CHECK(error != NULL && strstr(error, "rebuild the plugin against this SDK") != NULL);
  vitrine_mock_host_destroy(host);
}

int main(void) {
  hello_renders_its_greeting();
  unanswered_request_is_denied_and_captured();
  newer_abi_is_refused_in_words();
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  puts("mock host: all plain C checks passed");
  return 0;
}
