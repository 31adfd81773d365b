#include "sim_client.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/StreamCopier.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "json_log.h"
#include "token.h"

namespace vitrine::sim::test {
namespace {

HttpResult collect(Poco::Net::HTTPClientSession& session, Poco::Net::HTTPRequest& request,
                   const std::string& body) {
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  auto& in = session.receiveResponse(response);
  HttpResult r;
  r.status = static_cast<int>(response.getStatus());
  r.content_type = response.getContentType();
  r.location = response.get("Location", "");
  r.set_cookie = response.get("Set-Cookie", "");
  r.content_length = response.getContentLength64();
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

}  // namespace

std::string scratch_dir(const std::string& name) {
  static int counter = 0;
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("vitrine-sim-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::string test_token() { return token_from_seed("simulator-tests"); }

SimHandle::~SimHandle() {
  if (sim) sim->stop();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

std::unique_ptr<SimHandle> start_sim(int grafana_version) {
  set_log_level(LogLevel::kWarn);
  auto handle = std::make_unique<SimHandle>();
  handle->dir = scratch_dir("tls");
  SimulatorConfig cfg;
  cfg.self_signed_dir = handle->dir;
  cfg.tokens = {test_token()};
  cfg.admin_port = 0;
  cfg.grafana_version = grafana_version;
  handle->sim = std::make_unique<Simulator>(cfg);
  handle->sim->start();
  return handle;
}

HttpResult https_request(const Simulator& sim, const std::string& uri, const std::string& token,
                         const std::string& method) {
  return https_request_to(sim.port(), sim.ca_file(), uri, token, method);
}

HttpResult https_request_to(std::uint16_t port, const std::string& ca_file, const std::string& uri,
                            const std::string& token, const std::string& method) {
  Poco::Net::Context::Ptr ctx =
      new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_file,
                             Poco::Net::Context::VERIFY_STRICT, 9, false);
  static std::once_flag once;
  std::call_once(once, [&] {
    // Without a handler Poco asks its application config; reject failures.
    Poco::Net::SSLManager::instance().initializeClient(
        nullptr, new Poco::Net::RejectCertificateHandler(false), ctx);
  });
  Poco::Net::SecureStreamSocket socket(ctx);
  // Connect to the loopback address but verify the certificate for the
  // stack's real name, as the host's pinned client does. The session
  // connects lazily (Poco 1.11 refuses an already connected socket here).
  socket.setPeerHostName("grafana.test");
  Poco::Net::HTTPSClientSession session(socket);
  session.setHost("127.0.0.1");
  session.setPort(port);
  session.setTimeout(Poco::Timespan(20, 0));
  Poco::Net::HTTPRequest request(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
  request.setHost("grafana.test", port);
  if (!token.empty()) request.set("Authorization", "Bearer " + token);
  return collect(session, request, "");
}

HttpResult admin_request(const Simulator& sim, const std::string& method, const std::string& path,
                         const std::string& body) {
  Poco::Net::HTTPClientSession session("127.0.0.1", sim.admin_port());
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!body.empty()) request.setContentType("application/json");
  return collect(session, request, body);
}

Poco::JSON::Object::Ptr parse_object(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Array::Ptr parse_array(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Array::Ptr>();
}

}  // namespace vitrine::sim::test
