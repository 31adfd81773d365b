// ConsoleParity: every platform-admin action of the CLI has a JSON API
// endpoint and a console page, or a row in docs/admin.md saying why it is
// CLI only, and the table cannot go stale: the test reads the CLI's own
// subcommand lists (`vitrine GROUP --help` of the real binary), the table
// between <!-- parity:begin --> and <!-- parity:end -->, and asks the
// running server for every route the table names (a served route answers
// an unauthenticated request with 401 or the login redirect; an unknown one
// with 404).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "server_fixture.h"

namespace vitrine::testing {
namespace {

// The CLI groups whose subcommands are admin actions, as typed.
constexpr const char* kGroups[] = {"spaces",        "spaces token", "tokens", "plugins",
                                   "plugins trust", "license",      "audit"};
// Subcommands that are groups themselves (their leaves are listed).
const std::set<std::string> kNested = {"vitrine spaces token", "vitrine plugins trust"};

struct Row {
  std::string cli, api, console;
};

std::string run(const std::string& command, int& status) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  status = ::pclose(p);
  return out;
}

// The subcommand names of `vitrine GROUP --help` ("Subcommands:" section).
std::vector<std::string> subcommands(const std::string& group) {
  int status = 0;
  const std::string help = run(std::string(VITRINE_CLI) + " " + group + " --help 2>&1", status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << help;
  std::vector<std::string> out;
  std::istringstream in(help);
  std::string line;
  bool in_list = false;
  static const std::regex kEntry(R"(^  ([a-z][a-z-]*)\s)");
  while (std::getline(in, line)) {
    if (line.rfind("Subcommands:", 0) == 0) {
      in_list = true;
      continue;
    }
    std::smatch m;
    if (in_list && std::regex_search(line, m, kEntry)) out.push_back(m[1]);
  }
  return out;
}

std::string unquote(std::string cell) {
  while (!cell.empty() && cell.front() == ' ') cell.erase(0, 1);
  while (!cell.empty() && cell.back() == ' ') cell.pop_back();
  if (cell.size() > 2 && cell.front() == '`' && cell.back() == '`') {
    return cell.substr(1, cell.size() - 2);
  }
  return cell;
}

std::vector<Row> parity_table() {
  std::ifstream in(std::string(VITRINE_SOURCE_DIR) + "/docs/admin.md");
  std::vector<Row> rows;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line == "<!-- parity:begin -->") inside = true;
    if (line == "<!-- parity:end -->") break;
    if (!inside || line.rfind("| `vitrine", 0) != 0) continue;
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream cs(line.substr(1));
    while (std::getline(cs, cell, '|')) cells.push_back(unquote(cell));
    if (cells.size() >= 3) rows.push_back({cells[0], cells[1], cells[2]});
  }
  return rows;
}

std::string filled(std::string path) {
  for (const auto& [from, to] :
       {std::pair<std::string, std::string>{"{space}", "alpha"}, {"{id}", "probe"}}) {
    for (auto at = path.find(from); at != std::string::npos; at = path.find(from)) {
      path.replace(at, from.size(), to);
    }
  }
  return path;
}

bool cli_only(const std::string& cell) { return cell.rfind("CLI only: ", 0) == 0; }

class ConsoleParity : public ServerFixture {};

TEST_F(ConsoleParity, EveryCliAdminActionHasARowInTheTable) {
  const auto rows = parity_table();
  ASSERT_GT(rows.size(), 20u) << "the parity table in docs/admin.md was not found";
  std::set<std::string> documented;
  for (const auto& r : rows) documented.insert(r.cli);
  EXPECT_TRUE(documented.count("vitrine audit")) << "the audit listing itself";
  for (const char* group : kGroups) {
    for (const auto& sub : subcommands(group)) {
      const std::string command = std::string("vitrine ") + group + " " + sub;
      if (kNested.count(command)) continue;
      EXPECT_TRUE(documented.count(command))
          << command << " has no row in the parity table of docs/admin.md: add its API "
          << "endpoint and console page, or say why it is CLI only";
    }
  }
}

TEST_F(ConsoleParity, EveryRowNamesARealCommandAndServedRoutes) {
  const auto rows = parity_table();
  ASSERT_FALSE(rows.empty());
  std::set<std::string> commands = {"vitrine audit"};
  for (const char* group : kGroups) {
    for (const auto& sub : subcommands(group))
      commands.insert(std::string("vitrine ") + group + " " + sub);
  }
  static const std::regex kApi(R"(^(GET|POST|PUT|DELETE) (/api/v1/\S+)$)");
  for (const auto& r : rows) {
    EXPECT_TRUE(commands.count(r.cli)) << "stale row: the CLI has no '" << r.cli << "'";
    std::smatch m;
    if (std::regex_match(r.api, m, kApi)) {
      auto answer = send(m[1], filled(m[2]));
      EXPECT_EQ(answer.status, 401) << r.cli << ": " << r.api << " is not served (" << answer.status
                                    << " " << answer.body.substr(0, 200) << ")";
    } else {
      EXPECT_TRUE(cli_only(r.api)) << r.cli << ": API cell must be `METHOD /api/v1/...` or "
                                   << "'CLI only: reason', got '" << r.api << "'";
    }
    if (r.console.rfind('/', 0) == 0) {
      auto answer = send("GET", filled(r.console));
      EXPECT_EQ(answer.status, 303) << r.cli << ": console page " << r.console << " is not served";
      EXPECT_EQ(answer.header("location").rfind("/login?next=", 0), 0u) << r.console;
    } else {
      EXPECT_TRUE(cli_only(r.console))
          << r.cli << ": console cell must be a page or 'CLI only: reason', got '" << r.console
          << "'";
    }
    // "CLI only" needs a reason in both columns or an API and a page.
    EXPECT_EQ(cli_only(r.api) && !cli_only(r.console), false) << r.cli;
  }
}

TEST_F(ConsoleParity, ConsolePagesAnswerPlatformAdminsAndRefuseOthers) {
  const std::string admin = login(platform_);
  const std::string viewer = login(alpha_viewer_);
  for (const char* page : {"/admin", "/admin/spaces", "/admin/plugins", "/admin/tokens",
                           "/admin/license", "/admin/audit"}) {
    auto ok = send("GET", page, {{"Cookie", admin}});
    EXPECT_EQ(ok.status, 200) << page << ": " << ok.body.substr(0, 300);
    EXPECT_NE(ok.body.find("Signed in as token "), std::string::npos) << page;
    EXPECT_FALSE(ok.header("content-security-policy").empty()) << page;
    EXPECT_EQ(send("GET", page, {{"Cookie", viewer}}).status, 403) << page;
  }
}

}  // namespace
}  // namespace vitrine::testing
