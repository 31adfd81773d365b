// The name a process writes into the rows it claims (render leases,
// upstream request leases, warming runs): host name, pid and a random
// suffix, so an operator sees which host holds a row and two stores in one
// process (tests) are two holders.
#pragma once

#include <string>

namespace vitrine::store {

// "HOST:PID:8 hex digits". [thread-safe]
std::string process_holder_name();

}  // namespace vitrine::store
