#include "simulator.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>

#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "admin_api.h"
#include "json_log.h"
#include "router.h"
#include "tls_cert.h"
#include "token.h"

namespace vitrine::sim {
namespace {

void init_ssl_once() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" || host.rfind("127.", 0) == 0;
}

Poco::Net::HTTPServerParams::Ptr server_params(int max_threads) {
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(max_threads);
  params->setMaxQueued(256);
  params->setKeepAlive(true);
  params->setTimeout(Poco::Timespan(30, 0));
  params->setServerName("grafana");
  return params;
}

}  // namespace

Simulator::Simulator(SimulatorConfig config)
    : config_(std::move(config)), ctx_(std::make_unique<SimContext>()) {}

Simulator::~Simulator() { stop(); }

void Simulator::start() {
  init_ssl_once();
  const auto dir = config_.fixtures_dir.empty() ? default_fixtures_dir() : config_.fixtures_dir;
  ctx_->fixtures = load_fixtures(dir, config_.grafana_version);
  for (const auto& t : config_.tokens) ctx_->tokens.add(t);
  if (config_.tokens.empty()) {
    ctx_->tokens.add(token_from_seed("demo"));
    log_event(LogLevel::kWarn, "no --token given; accepting the demo token",
              {{"how_to_get_it", "vitrine-grafana-sim --print-token demo"}});
  }
  ctx_->faults.replace(config_.faults);

  std::string cert = config_.cert_file;
  std::string key = config_.key_file;
  if (cert.empty() || key.empty()) {
    if (config_.self_signed_dir.empty()) {
      throw std::invalid_argument("give --cert and --key, or --self-signed-dir DIR");
    }
    const auto generated = generate_self_signed(config_.self_signed_dir, config_.hostnames);
    cert = generated.cert_file;
    key = generated.key_file;
    ca_file_ = generated.ca_file;
  }
  Poco::Net::Context::Params tls;
  tls.certificateFile = cert;
  tls.privateKeyFile = key;
  tls.verificationMode = Poco::Net::Context::VERIFY_NONE;
  tls.loadDefaultCAs = false;
  Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, tls);
  context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);

  if (!is_loopback(config_.bind)) {
    log_event(LogLevel::kWarn, "listening on a non-loopback address", {{"bind", config_.bind}});
  }
  Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress(config_.bind, config_.port), 64,
                                       context);
  port_ = socket.address().port();
  // Enough threads that slow drips and latency faults do not starve others.
  pool_ = std::make_unique<Poco::ThreadPool>(2, 64);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new GrafanaRequestFactory(*ctx_), *pool_,
                                                    socket, server_params(64));
  server_->start();

  if (config_.admin_port >= 0) {
    // Always loopback: fault injection must never be reachable from outside.
    Poco::Net::ServerSocket admin_socket(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(config_.admin_port)), 16);
    admin_port_ = admin_socket.address().port();
    admin_pool_ = std::make_unique<Poco::ThreadPool>(1, 8);
    admin_ = std::make_unique<Poco::Net::HTTPServer>(new AdminRequestFactory(*ctx_), *admin_pool_,
                                                     admin_socket, server_params(8));
    admin_->start();
  }

  log_event(LogLevel::kInfo, "listening",
            {{"bind", config_.bind},
             {"port", std::to_string(port_)},
             {"admin_port", std::to_string(admin_port_)},
             {"grafana_version", std::to_string(config_.grafana_version)},
             {"fixtures", dir}});
  if (!config_.ready_file.empty()) {
    // Write then rename, so a watcher never reads a half-written file.
    const std::string tmp = config_.ready_file + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << port_ << ' ' << admin_port_ << '\n';
      if (!out) throw std::runtime_error("cannot write ready file " + tmp);
    }
    if (std::rename(tmp.c_str(), config_.ready_file.c_str()) != 0) {
      throw std::runtime_error("cannot rename ready file to " + config_.ready_file);
    }
  }
}

void Simulator::stop() {
  ctx_->stopping = true;
  // Each Poco TCPServer needs up to one poll interval to notice the stop;
  // stopping both at once halves shutdown time (it adds up over many tests).
  std::thread admin_stopper([this] {
    if (admin_) admin_->stopAll(true);
  });
  if (server_) server_->stopAll(true);
  admin_stopper.join();
  server_.reset();
  admin_.reset();
  if (pool_) {
    pool_->joinAll();
    pool_.reset();
  }
  if (admin_pool_) {
    admin_pool_->joinAll();
    admin_pool_.reset();
  }
}

}  // namespace vitrine::sim
