// Generates a throwaway CA and a server certificate signed by it, so tests and
// demos can run the simulator over real, verifiable TLS without any setup.
#pragma once

#include <string>
#include <vector>

namespace vitrine::sim {

struct GeneratedTls {
  std::string ca_file;    // DIR/ca.pem: what clients trust
  std::string cert_file;  // DIR/cert.pem: server leaf certificate
  std::string key_file;   // DIR/key.pem: server private key (0600)
};

// Writes ca.pem, ca-key.pem, cert.pem and key.pem into `dir` (created if
// missing). An existing ca.pem + ca-key.pem pair is reused so clients that
// already trust it keep working across restarts; the leaf is always fresh.
// Keys are EC P-256: accepted by every TLS client we care about (Ed25519 is not).
// Host names that parse as IPv4/IPv6 become IP subjectAltNames, others DNS.
GeneratedTls generate_self_signed(const std::string& dir,
                                  const std::vector<std::string>& hostnames);

}  // namespace vitrine::sim
