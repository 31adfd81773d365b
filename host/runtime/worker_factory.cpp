#include "runtime/worker_factory.h"

namespace vitrine::runtime {

std::unique_ptr<plugins::PluginRunner> make_worker_runner(const config::Config&,
                                                          std::string& error) {
  error =
      "plugins.mode 'worker' is not available in this build; set plugins.mode: in-process "
      "(development only: no isolation)";
  return nullptr;
}

}  // namespace vitrine::runtime
