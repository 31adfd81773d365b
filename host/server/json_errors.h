// API errors: {"error": {"code": "...", "message": "..."}} with a status
// that matches the code. Store errors map here in one place so every
// endpoint answers the same failure the same way.
#pragma once

#include <string>

#include "server/http.h"
#include "store/result.h"

namespace vitrine::server {

Response json_error(int status, const std::string& code, const std::string& message);
// invalid 400, not_found 404, conflict 409, denied 403, crypto 500,
// key 503, io 500.
Response json_error(const store::Error& error);
int status_for(store::Errc code);

}  // namespace vitrine::server
