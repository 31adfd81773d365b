#include "server_fixture.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>

#include "log/log.h"
#include "plugins/loader.h"
#include "store/glsa.h"

namespace vitrine::testing {

namespace fs = std::filesystem;

std::string HttpResult::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string ServerFixture::grafana_token(char fill) {
  const std::string head = "glsa_" + std::string(32, fill);
  return head + "_" + store::glsa_checksum(head);
}

void ServerFixture::SetUp() {
  log::set_sink([](const std::string&) {});
  dir_ =
      fs::temp_directory_path() / ("vitrine-server-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(dir_);
  fs::create_directories(dir_ / "data");
  // A test key (32 bytes, base64), never a real one.
  ::setenv("VITRINE_MASTER_KEY", "dGVzdC1rZXktMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY=", 1);
  config_.data_dir = dir_ / "data";
  config_.plugins_dir = VITRINE_PLUGINS_DIR;
  config_.plugin_mode = "in-process";
  config_.frame_ancestors = "'self'";

  std::string error;
  rt_ = runtime::Runtime::open(config_, error);
  ASSERT_NE(rt_, nullptr) << error;
  auto& st = rt_->store();
  auto found = plugins::discover_plugins(VITRINE_PLUGINS_DIR);
  ASSERT_FALSE(found.manifests.empty()) << "no plugins in " << VITRINE_PLUGINS_DIR;
  for (const auto& m : found.manifests) ASSERT_TRUE(st.approvals().approve("setup", m).ok());
  ASSERT_TRUE(st.spaces().create("setup", "alpha", "Alpha").ok());
  ASSERT_TRUE(st.spaces().create("setup", "beta", "Beta").ok());
  store::ConnectRequest req;
  req.origin = "https://alpha.grafana.net";
  auto connected = st.spaces().connect("setup", "alpha", req);
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  req.origin = "https://beta.grafana.net";
  ASSERT_TRUE(st.spaces().connect("setup", "beta", req).ok());
  for (const auto& m : found.manifests)
    ASSERT_TRUE(st.approvals().enable("setup", "alpha", m.id).ok());
  auto make = [&](const char* role) {
    auto t = st.admin_tokens().create("setup", role);
    EXPECT_TRUE(t.ok());
    return std::string(t->token.view());
  };
  platform_ = make("platform-admin");
  alpha_admin_ = make("space-admin:alpha");
  alpha_viewer_ = make("viewer:alpha");
  beta_admin_ = make("space-admin:beta");

  // Reopen so the approved plugins run.
  rt_.reset();
  rt_ = runtime::Runtime::open(config_, error);
  ASSERT_NE(rt_, nullptr) << error;
  render::EngineOptions eo;
  eo.threads = 2;
  eo.macro_deadline_ms = 2000;
  engine_ = std::make_unique<render::Engine>(*rt_, eo);

  server::ServerOptions so = server::options_from_config(config_);
  so.port = 0;
  so.max_threads = 4;
  so.max_body_bytes = max_body_;
  server_ = std::make_unique<server::Server>(*rt_, *engine_, so);
  server_->start();
}

void ServerFixture::TearDown() {
  if (server_) server_->stop();
  server_.reset();
  if (engine_) engine_->drain();
  engine_.reset();
  rt_.reset();
  log::set_sink(nullptr);
  fs::remove_all(dir_);
}

std::string ServerFixture::origin() const {
  return "http://127.0.0.1:" + std::to_string(server_->port());
}

HttpResult ServerFixture::send(const std::string& method, const std::string& path,
                               const std::map<std::string, std::string>& headers,
                               const std::string& body) {
  Poco::Net::HTTPClientSession session("127.0.0.1", server_->port());
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.setContentLength64(static_cast<Poco::Int64>(body.size()));
  }
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  HttpResult out;
  try {
    std::istream& in = session.receiveResponse(resp);
    Poco::StreamCopier::copyToString(in, out.body);
  } catch (const Poco::Exception& e) {
    ADD_FAILURE() << method << " " << path << ": " << e.displayText();
    return out;
  }
  out.status = resp.getStatus();
  for (const auto& [k, v] : resp) {
    std::string key = k;
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace(key, v);
  }
  return out;
}

HttpResult ServerFixture::api(const std::string& method, const std::string& path,
                              const std::string& token, const std::string& json_body) {
  std::map<std::string, std::string> h;
  if (!token.empty()) h["Authorization"] = "Bearer " + token;
  if (!json_body.empty()) h["Content-Type"] = "application/json";
  return send(method, path, h, json_body);
}

std::string ServerFixture::login(const std::string& admin_token) {
  auto r = send("POST", "/login",
                {{"Content-Type", "application/x-www-form-urlencoded"}, {"Origin", origin()}},
                "next=%2F&token=" + admin_token);
  EXPECT_EQ(r.status, 303) << r.body;
  const std::string cookie = r.header("set-cookie");
  return cookie.substr(0, cookie.find(';'));
}

std::string ServerFixture::csrf_of(const std::string& path, const std::string& cookie) {
  auto r = send("GET", path, {{"Cookie", cookie}});
  std::smatch m;
  static const std::regex re("name=\"csrf\" value=\"([0-9a-f]{64})\"");
  if (!std::regex_search(r.body, m, re)) {
    ADD_FAILURE() << "no CSRF field on " << path << " (status " << r.status << ")";
    return {};
  }
  return m[1];
}

}  // namespace vitrine::testing
