#include "tls_cert.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <stdexcept>

namespace vitrine::sim {
namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

[[noreturn]] void fail(const std::string& what) {
  char buf[256] = {0};
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  throw std::runtime_error("TLS certificate generation: " + what + ": " + buf);
}

KeyPtr new_key() {
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), &EVP_PKEY_free);
  if (!key) fail("EC P-256 key generation failed");
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) fail("bad extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

CertPtr new_cert(EVP_PKEY* key, const std::string& cn, long days) {
  CertPtr cert(X509_new(), &X509_free);
  if (!cert) fail("X509_new");
  X509_set_version(cert.get(), X509_VERSION_3);
  std::uint64_t serial = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial >> 1);
  // Backdated an hour so small clock skew between processes never matters.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * 86400L);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Vitrine Grafana simulator"),
                             -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

void write_pem_cert(const std::string& path, X509* cert) {
  BioPtr bio(BIO_new_file(path.c_str(), "w"), &BIO_free);
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) fail("cannot write " + path);
}

void write_pem_key(const std::string& path, EVP_PKEY* key) {
  BioPtr bio(BIO_new_file(path.c_str(), "w"), &BIO_free);
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fail("cannot write " + path);
  }
  bio.reset();
  ::chmod(path.c_str(), 0600);
}

bool is_ip(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::pair<CertPtr, KeyPtr> load_ca(const std::string& cert_path, const std::string& key_path) {
  CertPtr cert(nullptr, &X509_free);
  KeyPtr key(nullptr, &EVP_PKEY_free);
  BioPtr cb(BIO_new_file(cert_path.c_str(), "r"), &BIO_free);
  BioPtr kb(BIO_new_file(key_path.c_str(), "r"), &BIO_free);
  if (cb && kb) {
    cert.reset(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
    key.reset(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
  }
  if (cert && key && X509_check_private_key(cert.get(), key.get()) == 1) {
    return {std::move(cert), std::move(key)};
  }
  return {CertPtr(nullptr, &X509_free), KeyPtr(nullptr, &EVP_PKEY_free)};
}

}  // namespace

GeneratedTls generate_self_signed(const std::string& dir,
                                  const std::vector<std::string>& hostnames) {
  if (hostnames.empty()) throw std::invalid_argument("at least one host name is needed");
  std::filesystem::create_directories(dir);
  GeneratedTls out{dir + "/ca.pem", dir + "/cert.pem", dir + "/key.pem"};
  const std::string ca_key_file = dir + "/ca-key.pem";

  auto [ca, ca_key] = load_ca(out.ca_file, ca_key_file);
  if (!ca) {
    ca_key = new_key();
    ca = new_cert(ca_key.get(), "Vitrine simulator test CA", 3650);
    X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get()));
    add_ext(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_ext(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
    if (X509_sign(ca.get(), ca_key.get(), EVP_sha256()) == 0) fail("signing the CA");
    write_pem_cert(out.ca_file, ca.get());
    write_pem_key(ca_key_file, ca_key.get());
  }

  KeyPtr key = new_key();
  CertPtr leaf = new_cert(key.get(), hostnames.front(), 90);
  X509_set_issuer_name(leaf.get(), X509_get_subject_name(ca.get()));
  std::string san;
  for (const auto& host : hostnames) {
    if (!san.empty()) san += ",";
    san += (is_ip(host) ? "IP:" : "DNS:") + host;
  }
  add_ext(leaf.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(leaf.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  add_ext(leaf.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  add_ext(leaf.get(), ca.get(), NID_subject_alt_name, san);
  add_ext(leaf.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
  if (X509_sign(leaf.get(), ca_key.get(), EVP_sha256()) == 0) fail("signing the leaf");
  write_pem_cert(out.cert_file, leaf.get());
  write_pem_key(out.key_file, key.get());
  return out;
}

}  // namespace vitrine::sim
