#include "server/json_errors.h"

#include <Poco/JSON/Object.h>

#include <sstream>

namespace vitrine::server {

Response json_error(int status, const std::string& code, const std::string& message) {
  Poco::JSON::Object::Ptr inner = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  inner->set("code", code);
  inner->set("message", message);
  Poco::JSON::Object root;
  root.set("error", inner);
  std::ostringstream out;
  root.stringify(out);
  return json_response(status, out.str());
}

int status_for(store::Errc code) {
  switch (code) {
    case store::Errc::invalid:
      return 400;
    case store::Errc::not_found:
      return 404;
    case store::Errc::conflict:
      return 409;
    case store::Errc::denied:
      return 403;
    case store::Errc::key:
      return 503;
    case store::Errc::crypto:
    case store::Errc::io:
      return 500;
  }
  return 500;
}

Response json_error(const store::Error& error) {
  std::string code(store::to_string(error.code));
  if (error.code == store::Errc::not_found) code = "not-found";
  if (error.code == store::Errc::key) code = "key-unavailable";
  if (error.code == store::Errc::io) code = "storage";
  return json_error(status_for(error.code), code, error.message);
}

}  // namespace vitrine::server
