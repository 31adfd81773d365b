#include "config/auth_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "config/value_rules.h"

namespace vitrine::config {
namespace {

bool is_scalar(const YAML::Node& n, const std::string& key, const AuthDiag& error) {
  if (n.IsScalar()) return true;
  error(n, "'" + key + "' must be a single value", "config-type");
  return false;
}

bool as_bool(const YAML::Node& n, const std::string& key, const AuthDiag& error, bool& out) {
  if (!is_scalar(n, key, error)) return false;
  if (n.Scalar() != "true" && n.Scalar() != "false") {
    error(n, key + " '" + n.Scalar() + "' is not a boolean; write true or false", "config-type");
    return false;
  }
  out = n.Scalar() == "true";
  return true;
}

bool as_int(const YAML::Node& n, const std::string& key, int lo, int hi, const AuthDiag& error,
            int& out) {
  if (!is_scalar(n, key, error)) return false;
  auto v = parse_whole_number(n.Scalar());
  if (!v || *v < lo || *v > hi) {
    error(n,
          key + " '" + n.Scalar() + "' must be a whole number between " + std::to_string(lo) +
              " and " + std::to_string(hi),
          "config-range");
    return false;
  }
  out = static_cast<int>(*v);
  return true;
}

bool as_list(const YAML::Node& n, const std::string& key, const std::string& example,
             const AuthDiag& error, std::vector<std::string>& out) {
  if (!n.IsSequence()) {
    error(n, "'" + key + "' must be a list, e.g. " + example, "config-type");
    return false;
  }
  std::vector<std::string> v;
  for (const auto& e : n) {
    if (!e.IsScalar() || e.Scalar().empty()) {
      error(e, "each '" + key + "' entry must be a non-empty text, e.g. " + example, "config-type");
      return false;
    }
    v.push_back(e.Scalar());
  }
  out = std::move(v);
  return true;
}

// platform-admin | space-admin:KEY | editor:KEY | viewer:KEY (the store checks the key
// against its spaces at each sign-in).
bool role_syntax(const std::string& text) {
  if (text == "platform-admin") return true;
  for (std::string_view prefix : {"space-admin:", "editor:", "viewer:"}) {
    if (text.rfind(prefix, 0) != 0) continue;
    const std::string key = text.substr(prefix.size());
    return !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
  }
  return false;
}

bool loopback_host(const std::string& url) {
  for (std::string_view h : {"http://127.0.0.1", "http://[::1]", "http://localhost"}) {
    if (url.rfind(h, 0) == 0) {
      const char next = url.size() > h.size() ? url[h.size()] : '/';
      if (next == ':' || next == '/') return true;
    }
  }
  return false;
}

void parse_oidc(const YAML::Node& n, OidcConfig& o, const AuthDiag& error) {
  if (!n.IsMap()) return error(n, "'auth.oidc' must be a mapping", "config-type");
  static const std::set<std::string> kKeys = {
      "issuer",       "client_id", "client_secret_file", "redirect_uri", "scopes",
      "groups_claim", "roles",     "algorithms",         "ca_file",      "allow_http_loopback",
      "leeway_s",     "label"};
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string key = it->first.Scalar();
    const std::string name = "auth.oidc." + key;
    const YAML::Node v = it->second;
    if (!kKeys.count(key)) {
      error(it->first, "unknown key '" + name + "'; the keys are listed in docs/config.md",
            "config-unknown-key");
    } else if (key == "issuer" || key == "redirect_uri") {
      if (!is_scalar(v, name, error)) continue;
      const std::string& s = v.Scalar();
      if ((s.rfind("https://", 0) != 0 && s.rfind("http://", 0) != 0) || s.size() > 512 ||
          s.find_first_of(" \t\r\n?#") != std::string::npos) {
        error(v,
              "'" + name +
                  "' must be an https:// URL without query or fragment, e.g. "
                  "https://login.example.com/realms/docs",
              "config-oidc-url");
        continue;
      }
      (key == "issuer" ? o.issuer : o.redirect_uri) = s;
    } else if (key == "client_id" || key == "groups_claim" || key == "label") {
      if (!is_scalar(v, name, error)) continue;
      if (v.Scalar().empty() || v.Scalar().size() > 256) {
        error(v, "'" + name + "' must be a text of 1 to 256 characters", "config-type");
        continue;
      }
      (key == "client_id"      ? o.client_id
       : key == "groups_claim" ? o.groups_claim
                               : o.label) = v.Scalar();
    } else if (key == "client_secret_file" || key == "ca_file") {
      if (!is_scalar(v, name, error)) continue;
      if (auto e = check_path(name, v.Scalar(), "/etc/vitrine/oidc-client-secret")) {
        error(v, e->message, "config-path");
        continue;
      }
      (key == "ca_file" ? o.ca_file : o.client_secret_file) = v.Scalar();
    } else if (key == "scopes") {
      if (as_list(v, name, "[openid, profile, email, groups]", error, o.scopes) &&
          std::find(o.scopes.begin(), o.scopes.end(), "openid") == o.scopes.end()) {
        error(v, "'auth.oidc.scopes' must include openid", "config-oidc-scopes");
      }
    } else if (key == "algorithms") {
      std::vector<std::string> algs;
      if (!as_list(v, name, "[RS256, ES256, PS256]", error, algs)) continue;
      static const std::set<std::string> kAllowed = {"RS256", "RS384", "RS512", "PS256",
                                                     "PS384", "PS512", "ES256", "ES384"};
      bool good = !algs.empty();
      for (const auto& a : algs) good = good && kAllowed.count(a) > 0;
      if (!good) {
        error(v,
              "'auth.oidc.algorithms' may list only asymmetric algorithms (RS256, RS384, "
              "RS512, PS256, PS384, PS512, ES256, ES384); none and HS* are never accepted",
              "config-oidc-alg");
        continue;
      }
      o.algorithms = algs;
    } else if (key == "roles") {
      if (!v.IsMap()) {
        error(v,
              "'auth.oidc.roles' must map a group to a list of roles, e.g. "
              "{grafana-admins: [\"platform-admin\"], team-payments: [\"space-admin:payments\"]}",
              "config-type");
        continue;
      }
      for (auto g = v.begin(); g != v.end(); ++g) {
        const std::string group = g->first.Scalar();
        std::vector<std::string> roles;
        if (!as_list(g->second, "auth.oidc.roles." + group, "[\"viewer:payments\"]", error,
                     roles)) {
          continue;
        }
        bool good = true;
        for (const auto& r : roles) {
          if (!role_syntax(r)) {
            error(g->second,
                  "role '" + r + "' of group '" + group +
                      "' is invalid; use platform-admin, space-admin:SPACE, editor:SPACE or "
                      "viewer:SPACE",
                  "config-oidc-role");
            good = false;
          }
        }
        if (good) o.roles[group] = roles;
      }
    } else if (key == "allow_http_loopback") {
      as_bool(v, name, error, o.allow_http_loopback);
    } else if (key == "leeway_s") {
      as_int(v, name, 0, 300, error, o.leeway_s);
    }
  }
  if (o.issuer.empty()) {
    error(n,
          "'auth.oidc' needs 'issuer' (the provider's issuer URL, e.g. "
          "https://login.example.com/realms/docs)",
          "config-oidc-issuer");
    return;
  }
  if (o.client_id.empty()) {
    error(n, "'auth.oidc' needs 'client_id' (the client registered at the provider for Vitrine)",
          "config-oidc-client");
  }
  for (const std::string* url : {&o.issuer, &o.redirect_uri}) {
    if (url->rfind("http://", 0) == 0 && !(o.allow_http_loopback && loopback_host(*url))) {
      error(n,
            "'" + *url +
                "' uses plain http; use https, or (tests only) a loopback address with "
                "auth.oidc.allow_http_loopback: true",
            "config-oidc-url");
    }
  }
}

}  // namespace

void parse_auth(const YAML::Node& n, AuthConfig& out, const AuthDiag& error) {
  if (!n.IsMap()) return error(n, "'auth' must be a mapping", "config-type");
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string key = it->first.Scalar();
    const YAML::Node v = it->second;
    if (key == "token_login") {
      as_bool(v, "auth.token_login", error, out.token_login);
    } else if (key == "oidc") {
      parse_oidc(v, out.oidc, error);
    } else if (key == "sign_in_per_minute") {
      as_int(v, "auth.sign_in_per_minute", 1, 100000, error, out.sign_in_per_minute);
    } else if (key == "sign_in_burst") {
      as_int(v, "auth.sign_in_burst", 1, 100000, error, out.sign_in_burst);
    } else if (key == "account_free_failures") {
      as_int(v, "auth.account_free_failures", 1, 1000, error, out.account_free_failures);
    } else if (key == "account_max_backoff_s") {
      as_int(v, "auth.account_max_backoff_s", 1, 300, error, out.account_max_backoff_s);
    } else {
      error(it->first,
            "unknown key 'auth." + key +
                "'; the keys are token_login, oidc, sign_in_per_minute, sign_in_burst, "
                "account_free_failures and account_max_backoff_s",
            "config-unknown-key");
    }
  }
  if (!out.token_login && out.oidc.issuer.empty()) {
    error(n,
          "'auth.token_login: false' leaves no way to sign in; configure auth.oidc or remove "
          "token_login",
          "config-auth-methods");
  }
}

}  // namespace vitrine::config
