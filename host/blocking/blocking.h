// "This thread is about to wait a long time": a hint from code that blocks
// on a plugin render or an upstream request, for whoever runs the thread.
//
// The HTTP front end takes several ready connections per wake-up (fewer
// sleeps and wake-ups per request, which is most of the cost of a warm
// page). Before a handler blocks, the connections it has not started yet
// must go to other threads, or they would wait behind a cold render. So the
// front end installs a hook on each of its threads that hands them back,
// and the render engine and the runtime call about_to_block() before they
// wait. On any other thread the call does nothing.
#pragma once

namespace vitrine::blocking {

using Hook = void (*)(void* arg);

// Installs (or, with nullptr, removes) the calling thread's hook.
void set_hook(Hook hook, void* arg);

// Runs the calling thread's hook, if any. Cheap when there is none.
void about_to_block();

}  // namespace vitrine::blocking
