// "This thread is about to wait a long time", and "the work this thread
// does is no longer wanted": hints between the code that blocks on a
// plugin render or an upstream request and whoever runs the thread.
//
// The HTTP front end takes several ready connections per wake-up (fewer
// sleeps and wake-ups per request, which is most of the cost of a warm
// page). Before a handler blocks, the connections it has not started yet
// must go to other threads, or they would wait behind a cold render; and
// the thread itself stops counting as one that can serve, so the front end
// may start a spare one (bulkhead: health checks and cached pages never
// wait behind renders). So the front end installs a hook on each of its
// threads, and the render engine and the runtime call about_to_block()
// before they wait. On any other thread the call does nothing.
//
// Cancellation: the front end gives each request a Cancel, current() on
// the handler's thread. It is cancelled when the client hangs up or the
// server stops; code waiting for work done for that request checks it and
// gives up (the shared work itself may go on and fill the cache).
#pragma once

#include <atomic>
#include <memory>

namespace vitrine::blocking {

// Why the work of a request is no longer wanted.
enum class CancelReason : int {
  none = 0,
  client_gone = 1,      // the client closed its connection
  server_stopping = 2,  // shutdown: the grace period is running
};
const char* to_string(CancelReason reason);

// Shared by the front end (which cancels) and the code serving the request
// (which checks). [thread-safe]
class Cancel {
 public:
  // The first reason wins; later calls change nothing.
  void cancel(CancelReason reason) {
    int expected = 0;
    reason_.compare_exchange_strong(expected, static_cast<int>(reason));
  }
  bool cancelled() const { return reason_.load(std::memory_order_relaxed) != 0; }
  CancelReason reason() const { return static_cast<CancelReason>(reason_.load()); }

 private:
  std::atomic<int> reason_{0};
};

// Returns false when the front end cannot spare this thread (it has as
// many blocked handlers as it allows): the caller must not wait, and
// answers with what it has (an error box saying the server is busy).
using Hook = bool (*)(void* arg);

// Installs (or, with nullptr, removes) the calling thread's hook.
void set_hook(Hook hook, void* arg);

// Runs the calling thread's hook, if any. Cheap when there is none.
// true: go ahead and wait. false: do not wait (see Hook).
bool about_to_block();

// The request the calling thread serves (set by the front end per request;
// nullptr on threads that serve none, e.g. the render pool).
void set_current(std::shared_ptr<Cancel> cancel);
const std::shared_ptr<Cancel>& current();

}  // namespace vitrine::blocking
