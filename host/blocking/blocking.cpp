#include "blocking/blocking.h"

namespace vitrine::blocking {
namespace {

thread_local Hook t_hook = nullptr;
thread_local void* t_arg = nullptr;
thread_local std::shared_ptr<Cancel> t_current;

}  // namespace

const char* to_string(CancelReason reason) {
  switch (reason) {
    case CancelReason::none:
      return "none";
    case CancelReason::client_gone:
      return "client-gone";
    case CancelReason::server_stopping:
      return "server-stopping";
  }
  return "none";
}

void set_hook(Hook hook, void* arg) {
  t_hook = hook;
  t_arg = arg;
}

bool about_to_block() { return t_hook == nullptr || t_hook(t_arg); }

void set_current(std::shared_ptr<Cancel> cancel) { t_current = std::move(cancel); }

const std::shared_ptr<Cancel>& current() { return t_current; }

}  // namespace vitrine::blocking
