// Runs a shell command from a test and keeps what it printed: the one way
// tests call the real binaries when they only need the exit status and the
// output (stdout and stderr together).
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace vitrine::test_support {

struct Run {
  int status = -1;     // exit status; -1 when it did not exit normally
  std::string output;  // stdout and stderr
};

// `command` through /bin/sh, stderr joined to stdout.
inline Run run(const std::string& command) {
  Run r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace vitrine::test_support
