// Which address a request counts against for the per-client limits when it
// arrives through a reverse proxy (server.trusted_proxies).
//
// X-Forwarded-For is a list each proxy appends the address it received the
// request from to, so only its right end is trustworthy: a client can write
// anything on the left. The client is the right-most address that is not a
// trusted proxy, found by walking from the right while the addresses are
// trusted. Nothing in the header counts unless the TCP peer itself is a
// trusted proxy; an entry that is not an address ends the walk (the last
// trusted address seen is used), so a malformed header cannot pick an
// arbitrary key.
#pragma once

#include <string_view>

#include "server/net/ip_address.h"

namespace vitrine::server::net {

// `forwarded_for`: every X-Forwarded-For field of the request, joined with
// commas in order (empty when there is none).
IpAddress forwarded_client(const IpAddress& peer, std::string_view forwarded_for,
                           const AddressSet& trusted);

}  // namespace vitrine::server::net
