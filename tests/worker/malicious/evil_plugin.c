/*
 * A deliberately malicious renderer plugin: each macro attempts one thing a
 * plugin must not be able to do from a worker (docs/security/isolation.md).
 * It reports what happened in its HTML so the tests can assert the exact
 * outcome, e.g. "socket=-1 errno=1".
 *
 * Built twice from this one source (see CMakeLists.txt):
 *   evil        the attacks, one per macro
 *   evil_ctor   EVIL_CTOR: a static constructor tries the network at dlopen
 *               time, before create(); render reports what it saw
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vitrine/capabilities.h>
#include <vitrine/plugin.h>

#ifndef EVIL_ID
#define EVIL_ID "evil"
#endif

static const vitrine_host* g_host;

/* The constructor row uses none of the helpers below. */
#define EVIL_HELPER __attribute__((unused)) static

EVIL_HELPER int key_is(const vitrine_render_request* req, const char* key) {
  size_t n = strlen(key);
  return req->macro_key.len == n && memcmp(req->macro_key.ptr, key, n) == 0;
}

EVIL_HELPER vitrine_str param(const vitrine_render_request* req, const char* name) {
  size_t n = strlen(name);
  for (size_t i = 0; i < req->param_count; ++i) {
    if (req->params[i].name.len == n && memcmp(req->params[i].name.ptr, name, n) == 0) {
      return req->params[i].text_value;
    }
  }
  vitrine_str empty = {"", 0};
  return empty;
}

EVIL_HELPER int64_t int_param(const vitrine_render_request* req, const char* name) {
  size_t n = strlen(name);
  for (size_t i = 0; i < req->param_count; ++i) {
    if (req->params[i].name.len == n && memcmp(req->params[i].name.ptr, name, n) == 0) {
      return req->params[i].int_value;
    }
  }
  return 0;
}

EVIL_HELPER void say(vitrine_render_result* res, const char* fmt, long a, long b) {
  char buf[256];
  int n = snprintf(buf, sizeof buf, fmt, a, b);
  if (n > 0) res->html->write(res->html, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Copies a borrowed string into a NUL-terminated buffer. */
EVIL_HELPER void cstr(char* out, size_t cap, vitrine_str s) {
  size_t n = s.len < cap - 1 ? s.len : cap - 1;
  memcpy(out, s.ptr, n);
  out[n] = '\0';
}

/* The inherited IPC socket: the one descriptor that is a socket. */
EVIL_HELPER int find_ipc_fd(void) {
  for (int fd = 0; fd < 64; ++fd) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) return fd;
  }
  return -1;
}

#ifdef EVIL_CTOR
static int g_ctor_socket = -2;
static int g_ctor_errno;
__attribute__((constructor)) static void evil_ctor(void) {
  g_ctor_socket = socket(AF_INET, SOCK_STREAM, 0);
  g_ctor_errno = errno;
}
#endif

static vitrine_status evil_render(const vitrine_plugin* self, vitrine_call* call,
                                  const vitrine_render_request* req, vitrine_render_result* res) {
  (void)self;
#ifdef EVIL_CTOR
  (void)call;
  (void)req;
  say(res, "ctor-socket=%ld errno=%ld", g_ctor_socket, g_ctor_errno);
  return VITRINE_OK;
#else
  if (key_is(req, "evil-ok")) {
    vitrine_sink_puts(res->html, "<p>fine</p>");
    return VITRINE_OK;
  }
  if (key_is(req, "evil-tcp")) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int err = errno;
    say(res, "socket=%ld errno=%ld", s, err);
    if (s >= 0) {
      struct sockaddr_in a;
      memset(&a, 0, sizeof a);
      a.sin_family = AF_INET;
      a.sin_port = htons((uint16_t)int_param(req, "port"));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      int rc = connect(s, (struct sockaddr*)&a, sizeof a);
      say(res, " connect=%ld errno=%ld", rc, errno);
      if (rc == 0) (void)write(s, "stolen", 6);
      close(s);
    }
    return VITRINE_OK;
  }
  if (key_is(req, "evil-unix")) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    int err = errno;
    say(res, "socket=%ld errno=%ld", s, err);
    if (s >= 0) {
      struct sockaddr_un a;
      memset(&a, 0, sizeof a);
      a.sun_family = AF_UNIX;
      cstr(a.sun_path, sizeof a.sun_path, param(req, "path"));
      int rc = connect(s, (struct sockaddr*)&a, sizeof a);
      say(res, " connect=%ld errno=%ld", rc, errno);
      close(s);
    }
    /* A second socket would do as well as the first. */
    int pair[2];
    int rc = socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
    say(res, " socketpair=%ld errno=%ld", rc, errno);
    return VITRINE_OK;
  }
  if (key_is(req, "evil-passwd")) {
    int fd = open("/etc/passwd", O_RDONLY);
    say(res, "open=%ld errno=%ld", fd >= 0 ? 0 : -1, errno);
    if (fd >= 0) {
      char buf[64];
      ssize_t n = read(fd, buf, sizeof buf);
      say(res, " read=%ld", n > 0 ? 1 : 0, 0);
      close(fd);
    }
    return VITRINE_OK;
  }
  if (key_is(req, "evil-write")) {
    char path[512];
    cstr(path, sizeof path, param(req, "path"));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    say(res, "open-create=%ld errno=%ld", fd, errno);
    fd = open("/etc/hostname", O_RDWR);
    say(res, " open-rdwr=%ld errno=%ld", fd, errno);
    fd = open("/etc/hostname", O_WRONLY | O_APPEND);
    say(res, " open-append=%ld errno=%ld", fd, errno);
    int rc = unlink(path);
    say(res, " unlink=%ld errno=%ld", rc, errno);
    rc = mkdir(path, 0755);
    say(res, " mkdir=%ld errno=%ld", rc, errno);
    return VITRINE_OK;
  }
  if (key_is(req, "evil-exec")) {
    char path[512];
    char cmd[600];
    cstr(path, sizeof path, param(req, "path"));
    snprintf(cmd, sizeof cmd, "echo pwned > %s", path);
    pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/sh", "sh", "-c", cmd, (char*)NULL);
      _exit(127);
    }
    say(res, "fork=%ld errno=%ld", pid < 0 ? -1 : 1, errno);
    if (pid > 0) waitpid(pid, NULL, 0);
    char* argv[] = {"/bin/sh", "-c", cmd, NULL};
    char* envp[] = {NULL};
    int rc = execve("/bin/sh", argv, envp);
    say(res, " execve=%ld errno=%ld", rc, errno);
    rc = system(cmd);
    say(res, " system=%ld errno=%ld", rc, errno);
    return VITRINE_OK;
  }
  if (key_is(req, "evil-signal")) {
    int rc = kill(getppid(), SIGKILL);
    say(res, "kill-parent=%ld errno=%ld", rc, errno);
    long prc = ptrace(PTRACE_ATTACH, getppid(), NULL, NULL);
    say(res, " ptrace=%ld errno=%ld", prc, errno);
    rc = kill(-1, SIGKILL);
    say(res, " kill-all=%ld errno=%ld", rc, errno);
    return VITRINE_OK;
  }
  if (key_is(req, "evil-spin")) {
    volatile unsigned long n = 0;
    for (;;) ++n;
  }
  if (key_is(req, "evil-alloc")) {
    /* Up to 2 GiB, touched, in 8 MiB steps. */
    long mib = 0;
    for (; mib < 2048; mib += 8) {
      char* p = malloc(8u << 20);
      if (p == NULL) break;
      memset(p, 1, 8u << 20);
    }
    say(res, "allocated-mib=%ld", mib, 0);
    return mib >= 2048 ? VITRINE_OK : VITRINE_E_TOO_LARGE;
  }
  if (key_is(req, "evil-segv")) {
    volatile int* volatile p = NULL;
    *p = 1;
    return VITRINE_OK;
  }
  if (key_is(req, "evil-abort")) {
    abort();
  }
  if (key_is(req, "evil-flood")) {
    /* 1 GiB of HTML, in 64 KiB writes; the sink stops keeping at its cap. */
    static char block[65536];
    memset(block, 'x', sizeof block);
    long refused = 0;
    for (int i = 0; i < 16384; ++i) {
      if (res->html->write(res->html, block, sizeof block) == VITRINE_E_TOO_LARGE) ++refused;
    }
    (void)refused;
    return VITRINE_OK;
  }
  if (key_is(req, "evil-cache")) {
    const vitrine_cache_v1* cache =
        (const vitrine_cache_v1*)g_host->get_capability(g_host, VITRINE_CAP_CACHE_V1);
    vitrine_cache_entry e;
    memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
    vitrine_str key = param(req, "key");
    vitrine_status st = cache->get(call, key, &e);
    say(res, "cache-get=%ld len=%ld ", st, (long)e.value.len);
    if (st == VITRINE_OK) res->html->write(res->html, e.value.ptr, e.value.len);
    return VITRINE_OK;
  }
  if (key_is(req, "evil-ipc-garbage") || key_is(req, "evil-ipc-huge")) {
    int fd = find_ipc_fd();
    if (key_is(req, "evil-ipc-garbage")) {
      const char junk[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\n\xde\xad\xbe\xef";
      (void)write(fd, junk, sizeof junk);
    } else {
      /* A valid header claiming a 4 GiB payload. */
      unsigned char h[16] = {'V', 'T', 'W', 'K', 1, 0, 4, 0, 1, 0, 0, 0, 0xf0, 0xff, 0xff, 0xff};
      (void)write(fd, h, sizeof h);
    }
    say(res, "ipc-fd=%ld", fd, 0);
    /* Wait for the host to react. */
    sleep(5);
    return VITRINE_OK;
  }
  if (key_is(req, "evil-auth")) {
    const vitrine_http_v1* http =
        (const vitrine_http_v1*)g_host->get_capability(g_host, VITRINE_CAP_HTTP_V1);
    char url[512];
    int n = snprintf(url, sizeof url, "%.*s/api/search", (int)req->grafana_base_url.len,
                     req->grafana_base_url.ptr);
    vitrine_http_header h[1];
    h[0].name.ptr = "Authorization";
    h[0].name.len = 13;
    h[0].value.ptr = "Bearer glsa_stolen_from_elsewhere";
    h[0].value.len = 33;
    vitrine_http_request hr;
    memset(&hr, 0, sizeof hr);
    hr.struct_size = sizeof hr;
    hr.url.ptr = url;
    hr.url.len = (size_t)n;
    hr.headers = h;
    hr.header_count = 1;
    vitrine_http_response resp;
    memset(&resp, 0, sizeof resp);
    resp.struct_size = sizeof resp;
    vitrine_status st = http->get(call, &hr, &resp);
    say(res, "http=%ld status=%ld rule=", st, resp.http_status);
    res->html->write(res->html, resp.rule.ptr, resp.rule.len);
    return VITRINE_OK;
  }
  if (key_is(req, "evil-privileges")) {
    /* What the kernel says this process may do, then an attempt to become
     * root again. */
    static const char* const wanted[] = {
        "Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"};
    FILE* f = fopen("/proc/self/status", "r");
    if (f == NULL) {
      say(res, "status-open=-1 errno=%ld", errno, 0);
      return VITRINE_OK;
    }
    char line[256];
    while (fgets(line, sizeof line, f) != NULL) {
      for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; ++i) {
        if (strncmp(line, wanted[i], strlen(wanted[i])) == 0) {
          /* "Key:\tvalues\n" -> "Key:values;" with tabs as spaces. */
          for (char* c = line; *c != '\0'; ++c) {
            if (*c == '\t') *c = ' ';
            if (*c == '\n') *c = ';';
          }
          vitrine_sink_puts(res->html, line);
        }
      }
    }
    fclose(f);
    errno = 0;
    int rc = setuid(0);
    say(res, "setuid=%ld errno=%ld", rc, errno);
    errno = 0;
    rc = setgid(0);
    say(res, " setgid=%ld errno=%ld", rc, errno);
    return VITRINE_OK;
  }
  if (key_is(req, "evil-offlist")) {
    /* Calls a plugin could plausibly try, none on the allowlist. */
    errno = 0;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    say(res, "socket=%ld errno=%ld", s, errno);
    errno = 0;
    long rc = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
    say(res, " ptrace=%ld errno=%ld", rc, errno);
    errno = 0;
    rc = mount("none", "/tmp", "tmpfs", 0, NULL);
    say(res, " mount=%ld errno=%ld", rc, errno);
    errno = 0;
    rc = syscall(SYS_personality, 0xffffffffUL);
    say(res, " personality=%ld errno=%ld", rc, errno);
    return VITRINE_OK;
  }
  vitrine_sink_puts(res->error, "unknown evil macro");
  return VITRINE_E_NOT_FOUND;
#endif
}

static const vitrine_plugin evil_instance = {sizeof(vitrine_plugin), NULL, evil_render, NULL};

static vitrine_status evil_create(const vitrine_host* host, const vitrine_plugin** out,
                                  vitrine_sink* reason) {
  (void)reason;
  g_host = host;
  *out = &evil_instance;
  return VITRINE_OK;
}

#ifdef EVIL_CTOR
static const char* const evil_macros[] = {"evil-ctor", NULL};
#else
static const char* const evil_macros[] = {"evil-ok",     "evil-tcp",         "evil-unix",
                                          "evil-passwd", "evil-write",       "evil-exec",
                                          "evil-signal", "evil-spin",        "evil-alloc",
                                          "evil-segv",   "evil-abort",       "evil-flood",
                                          "evil-cache",  "evil-ipc-garbage", "evil-ipc-huge",
                                          "evil-auth",   "evil-privileges",  "evil-offlist",
                                          NULL};
#endif

VITRINE_EXPORT const vitrine_plugin_entry vitrine_entry =
    VITRINE_ENTRY_INIT(EVIL_ID, "1.0.0", evil_macros, evil_create);
