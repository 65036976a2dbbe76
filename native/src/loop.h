// The poll loop: libuv handles on the thread that opened the stack run gz_stack_poll,
// hand each batch of events to JS and flush. How it waits between polls is the poll
// mode's policy, chosen once when the stack opens.
//
// Each Node environment that loads the addon (the main thread, each worker thread) has
// its own handles, made on its own libuv loop and closed when it goes away. The stack
// (LwIP's state is global) belongs to at most one of them at a time: the one that
// claimed it; the others see it closed.
#ifndef GAZELLE_LOOP_H
#define GAZELLE_LOOP_H

#include <napi.h>

namespace gz {

// The values of the pollMode option (packages/stack PollMode).
enum PollMode : uint32_t { kBusy = 0, kAdaptive = 1, kInterrupt = 2, kPollModes };

// Numbers per event in the Float64Array the events callback reads (packages/stack
// EVENT_SLOTS): type, id, a, b, data offset, data length.
constexpr size_t kEventSlots = 6;

struct LoopConfig {
  PollMode mode;
  int intr_fd;       // the port's rx interrupt fd, -1: none (or a mode that needs none)
  uint64_t spin_ns;  // adaptive: keep spinning this long after the last traffic
  uint64_t idle_ms;  // sleep period when idle (also LwIP's timer granularity)
};

// Whether a poll mode sleeps on the port's rx interrupt (when the port has one),
// and whether it refuses a port without.
bool PollModeUsesInterrupt(PollMode mode);
bool PollModeNeedsInterrupt(PollMode mode);

// When the addon loads in an env: its (not yet made) handles.
void LoopEnvInit(napi_env env);
// When the env goes away (after its stack closed): closes its handles, then calls
// done(arg) (from a libuv close callback, or at once if it has none).
void LoopEnvClose(napi_env env, void (*done)(void *), void *arg);

// Claims the process's stack for env before opening it: false if an env (this one or
// another thread's) holds it. LoopRelease gives it back once the stack is closed.
bool LoopClaim(napi_env env);
void LoopRelease();
// Starts polling the just-opened stack from env's event loop; on_events gets the batches.
void LoopStart(Napi::Env env, const LoopConfig &cfg, Napi::Function on_events);
// Stops polling before the stack closes (safe inside an events callback).
void LoopStop();
// Whether a stack is open and polled from this env.
bool LoopOpen(napi_env env);
// Whether the process's stack is claimed, by any env.
bool LoopInUse();
// Whether the poll handles keep env's event loop alive (a connection JS closed keeps
// it alive a while longer, until its data and FIN are acked).
void LoopRef(napi_env env, bool refd);
// JS did something outside a poll (write, connect, close...): poll soon to flush it.
void Activity();
// After JS closed a TCP socket: an unref'd loop may have to linger for it.
void AfterTcpClose();

}  // namespace gz

#endif
