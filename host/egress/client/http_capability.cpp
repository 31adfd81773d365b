#include "egress/client/http_capability.h"

#include <chrono>

namespace vitrine::egress::client {
namespace {

// Reasons for malformed structs when there is no call to keep() strings in:
// string literals live for the whole process, so they are host-owned too.
vitrine_str literal(const char* s) { return vitrine_str{s, std::char_traits<char>::length(s)}; }

bool valid_str(const vitrine_str& s) { return s.ptr != nullptr || s.len == 0; }

std::string copy(const vitrine_str& s) {
  return s.len == 0 ? std::string() : std::string(s.ptr, s.len);
}

int64_t unix_ms_now() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

vitrine_status invalid(vitrine_call* call, vitrine_http_response* response, const char* rule,
                       const char* reason) {
  response->rule = literal(rule);
  response->reason = call != nullptr ? call->keep(reason) : literal(reason);
  return VITRINE_E_INVALID;
}

}  // namespace

vitrine_status to_vitrine_status(Outcome o) {
  switch (o) {
    case Outcome::ok:
      return VITRINE_OK;
    case Outcome::denied:
      return VITRINE_E_DENIED;
    case Outcome::unavailable:
      return VITRINE_E_UNAVAILABLE;
    case Outcome::timeout:
      return VITRINE_E_TIMEOUT;
    case Outcome::too_large:
      return VITRINE_E_TOO_LARGE;
    case Outcome::upstream:
      return VITRINE_E_UPSTREAM;
    case Outcome::internal:
      return VITRINE_E_INTERNAL;
  }
  return VITRINE_E_INTERNAL;
}

vitrine_status http_get(Fetcher& fetcher, const SpaceOrigins& space,
                        const manifest::Manifest& plugin, vitrine_call* call,
                        const vitrine_http_request* request,
                        vitrine_http_response* response) noexcept {
  // Nothing can be reported through a response we cannot safely write.
  if (response == nullptr || response->struct_size < sizeof(vitrine_http_response)) {
    return VITRINE_E_INVALID;
  }
  try {
    const uint32_t size = response->struct_size;
    *response = vitrine_http_response{};
    response->struct_size = size;

    if (call == nullptr) {
      return invalid(call, response, "http-call-invalid", "the call handle is NULL");
    }
    if (request == nullptr || request->struct_size < sizeof(vitrine_http_request)) {
      return invalid(call, response, "http-request-invalid",
                     "the request is NULL or its struct_size is smaller than "
                     "vitrine_http_request v1; set struct_size = sizeof(vitrine_http_request)");
    }
    if (!valid_str(request->url)) {
      return invalid(call, response, "http-request-invalid",
                     "request.url has a NULL pointer with a non-zero length");
    }
    if (request->header_count > 0 && request->headers == nullptr) {
      return invalid(call, response, "http-request-invalid",
                     "request.headers is NULL but header_count is not zero");
    }
    if (request->header_count > kMaxCopiedHeaders) {
      return invalid(call, response, "http-request-invalid",
                     "request.header_count is absurdly large; send at most 16 headers");
    }

    FetchRequest fr;
    fr.plugin = &plugin;
    fr.space = &space;
    fr.space_key = call->space_key;
    fr.upstream_from_ms = call->upstream_from_ms;
    fr.url = copy(request->url);
    fr.headers.reserve(request->header_count);
    for (std::size_t i = 0; i < request->header_count; ++i) {
      const vitrine_http_header& h = request->headers[i];
      if (!valid_str(h.name) || !valid_str(h.value)) {
        return invalid(call, response, "http-request-invalid",
                       "a request header has a NULL pointer with a non-zero length");
      }
      fr.headers.push_back(Header{copy(h.name), copy(h.value)});
    }

    // The deadline: the render call's, narrowed by the request's own
    // timeout_ms (which never extends it).
    int64_t deadline_unix = call->deadline_ms;
    const int64_t now_unix = unix_ms_now();
    if (request->timeout_ms != 0) {
      const int64_t own = now_unix + static_cast<int64_t>(request->timeout_ms);
      if (deadline_unix == 0 || own < deadline_unix) deadline_unix = own;
    }
    if (deadline_unix != 0) {
      fr.deadline = Clock::now() + std::chrono::milliseconds(deadline_unix - now_unix);
    }

    FetchResult r = fetcher.get(fr);
    const vitrine_status status = to_vitrine_status(r.outcome);
    if (!r.final_url.empty()) response->final_url = call->keep(std::move(r.final_url));
    if (status == VITRINE_OK) {
      response->http_status = r.http_status;
      response->content_type = call->keep(std::move(r.content_type));
      response->body = call->keep(std::move(r.body));
      return status;
    }
    // A refusal or failure is never dressed up as an HTTP response.
    response->http_status = 0;
    response->rule = call->keep(std::move(r.rule));
    response->reason = call->keep(std::move(r.reason));
    return status;
  } catch (...) {
    // keep() may itself fail on memory exhaustion: answer with literals.
    response->rule = literal("egress-internal");
    response->reason = literal("internal error in the http capability");
    return VITRINE_E_INTERNAL;
  }
}

}  // namespace vitrine::egress::client
