// `vitrine serve`: runs the HTTP server (host/server) from a vitrine.yml.
// Exit status as in cli/commands.h: 0 after a clean stop on SIGINT/SIGTERM,
// 2 for a config, start-up or bind error.
#pragma once

namespace CLI {
class App;
}

namespace vitrine::cli {

void add_serve_command(CLI::App& app, int& exit_code);

}  // namespace vitrine::cli
