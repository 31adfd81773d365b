#include "blocking/blocking.h"

namespace vitrine::blocking {
namespace {

thread_local Hook t_hook = nullptr;
thread_local void* t_arg = nullptr;

}  // namespace

void set_hook(Hook hook, void* arg) {
  t_hook = hook;
  t_arg = arg;
}

void about_to_block() {
  if (t_hook != nullptr) t_hook(t_arg);
}

}  // namespace vitrine::blocking
