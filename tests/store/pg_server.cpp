#include "pg_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

namespace vitrine::store::testing {
namespace {

namespace fs = std::filesystem;

bool has_server_binaries(const std::string& dir) {
  return !dir.empty() && ::access((dir + "/initdb").c_str(), X_OK) == 0 &&
         ::access((dir + "/postgres").c_str(), X_OK) == 0;
}

std::string find_bindir() {
  if (const char* env = std::getenv("VITRINE_PG_BINDIR"); env && has_server_binaries(env)) {
    return env;
  }
  if (has_server_binaries("/usr/lib/postgresql/15/bin")) return "/usr/lib/postgresql/15/bin";
  if (FILE* p = ::popen("pg_config --bindir 2>/dev/null", "r")) {
    char buf[512] = {};
    std::string out = std::fgets(buf, sizeof(buf), p) ? buf : "";
    ::pclose(p);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    if (has_server_binaries(out)) return out;
  }
  return "";
}

// The user the server runs as: ourselves, or under root an unprivileged one.
struct RunAs {
  bool drop = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

RunAs run_as() {
  RunAs r;
  if (::geteuid() != 0) return r;
  for (const char* name : {"postgres", "nobody"}) {
    if (const passwd* pw = ::getpwnam(name)) {
      r.drop = true;
      r.uid = pw->pw_uid;
      r.gid = pw->pw_gid;
      return r;
    }
  }
  return r;
}

// Starts `argv` as the server's user with output to `log`; the child gets
// SIGQUIT (PostgreSQL's immediate shutdown) when this process dies.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  const RunAs as = run_as();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
  }
  if (as.drop) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(as.gid) != 0 || ::setuid(as.uid) != 0) _exit(126);
  }
  ::prctl(PR_SET_PDEATHSIG, SIGQUIT);  // after setuid: changing credentials clears it
  if (::getppid() != parent) _exit(125);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  _exit(127);
}

int wait_exit(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  int port = 0;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(s);
  return port;
}

std::string tail_of(const std::string& path) {
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.size() > 800 ? all.substr(all.size() - 800) : all;
}

// Runs one statement as the superuser on database `postgres`.
bool admin_exec(const std::string& url, const std::string& sql, std::string* why) {
  PGconn* c = PQconnectdb(url.c_str());
  bool ok = PQstatus(c) == CONNECTION_OK;
  if (ok) {
    PGresult* r = PQexec(c, sql.c_str());
    ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok && why) *why = PQresultErrorMessage(r);
    PQclear(r);
  } else if (why) {
    *why = PQerrorMessage(c);
  }
  PQfinish(c);
  return ok;
}

PgServer* g_server = nullptr;

class PgEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    if (g_server) g_server->shutdown();
  }
};

[[maybe_unused]] ::testing::Environment* const g_env =
    ::testing::AddGlobalTestEnvironment(new PgEnvironment);

}  // namespace

PgServer* PgServer::get(std::string* why) {
  static std::string failure;
  static bool tried = false;
  if (!tried) {
    tried = true;
    auto* s = new PgServer();
    if (s->init(&failure)) {
      g_server = s;
    } else {
      s->shutdown();
      delete s;
    }
  }
  if (!g_server && why) *why = failure;
  return g_server;
}

bool PgServer::init(std::string* why) {
  bindir_ = find_bindir();
  if (bindir_.empty()) {
    *why =
        "PostgreSQL 15 server binaries (initdb, postgres) not found in $VITRINE_PG_BINDIR, "
        "/usr/lib/postgresql/15/bin or `pg_config --bindir`; install postgresql-15 "
        "(scripts/setup.sh) to run the PostgreSQL backend tests";
    return false;
  }
  std::string tmpl = (fs::temp_directory_path() / "vitrine-pg-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    *why = "cannot create a temporary directory for PostgreSQL";
    return false;
  }
  dir_ = tmpl;
  const RunAs as = run_as();
  if (as.drop && ::chown(dir_.c_str(), as.uid, as.gid) != 0) {
    *why = "cannot hand " + dir_ + " to the PostgreSQL user";
    return false;
  }
  const std::string log = dir_ + "/initdb.log";
  const int rc = wait_exit(spawn({bindir_ + "/initdb", "-D", dir_ + "/data", "-U", "vitrine",
                                  "--auth=trust", "-E", "UTF8", "--no-locale", "-N"},
                                 log));
  if (rc != 0) {
    *why = "initdb failed (exit " + std::to_string(rc) + "): " + tail_of(log);
    return false;
  }
  {
    std::ofstream hba(dir_ + "/data/pg_hba.conf", std::ios::trunc);
    hba << "local all all trust\n"
        << "host all " << kPasswordRole << " 127.0.0.1/32 scram-sha-256\n"
        << "host all all 127.0.0.1/32 trust\n";
  }
  if (!start_server(why)) return false;
  std::string err;
  if (!admin_exec(url("postgres"),
                  std::string("CREATE ROLE ") + kPasswordRole + " LOGIN SUPERUSER PASSWORD '" +
                      kPassword + "'",
                  &err)) {
    *why = "cannot create the test role: " + err;
    return false;
  }
  return true;
}

bool PgServer::start_server(std::string* why) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (port_ == 0 || attempt > 0) port_ = free_port();
    pid_ = spawn({bindir_ + "/postgres", "-D", dir_ + "/data", "-p", std::to_string(port_), "-h",
                  "127.0.0.1", "-k", dir_, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c",
                  "full_page_writes=off", "-c", "max_connections=200"},
                 dir_ + "/server.log");
    const std::string conninfo = url("postgres");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (PQping(conninfo.c_str()) == PQPING_OK) return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) break;  // exited: port taken?
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop_server();
  }
  *why = "PostgreSQL did not start: " + tail_of(dir_ + "/server.log");
  return false;
}

bool PgServer::stop_server() {
  if (pid_ <= 0) return true;
  ::kill(pid_, SIGINT);  // fast shutdown
  const bool ok = wait_exit(pid_) >= 0;
  pid_ = 0;
  return ok;
}

void PgServer::shutdown() {
  stop_server();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    dir_.clear();
  }
}

std::string PgServer::url(const std::string& database, const std::string& role) const {
  return "postgres://" + role + "@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PgServer::create_database() {
  const std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(++databases_);
  std::string err;
  if (!admin_exec(url("postgres"), "CREATE DATABASE " + name, &err)) {
    ADD_FAILURE() << "CREATE DATABASE " << name << " failed: " << err;
  }
  return url(name);
}

}  // namespace vitrine::store::testing
