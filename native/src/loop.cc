// The poll loop: an idle handle spins (one poll per libuv iteration) while traffic
// flows; otherwise a timer, or the port's rx interrupt, wakes a sleeping stack. Each
// poll receives, runs LwIP, hands the events to JS and flushes. The poll mode's policy
// (busy, adaptive, interrupt) decides between spinning and sleeping; it is chosen once,
// at open, like l3fwd's lookup mode.
#include "loop.h"

#include <uv.h>

#include <vector>

#include <sched.h>

#include "common.h"
#include "gazelle.h"

namespace gz {
namespace {

struct PollPolicy {
  bool (*keep_spinning)(uint64_t now);   // after a poll: spin on, or sleep
  bool yields_when_idle;   // sched_yield on empty polls while spinning
  bool uses_interrupt;     // sleeps on the port's rx interrupt when it has one
  bool needs_interrupt;    // refuses a port without one
  bool uses_spin_window;   // spin_ns applies
};

struct Loop {
  uv_loop_t *uv = nullptr;
  uv_idle_t spin;          // runs a poll every loop iteration while traffic flows
  uv_timer_t sleep;        // wakes a sleeping stack for input and LwIP timers
  uv_poll_t intr;          // wakes it on an rx interrupt, where the port has one
  bool handles_ready = false;
  bool open = false;
  bool in_poll = false;
  bool spinning = false;
  bool sleeping = false;
  bool refd = false;
  bool lingering = false;   // unref'd, but closed connections still sending
  uint64_t linger_until = 0;
  const PollPolicy *policy = nullptr;
  int intr_fd = -1;
  uint64_t spin_ns = 200000;
  uint64_t idle_ms = 1;
  uint64_t last_activity = 0;
  uint32_t empty_polls = 0;   // polls without traffic since last_activity
  napi_env env = nullptr;
  Napi::FunctionReference on_events;
  Napi::ObjectReference resource;
  napi_async_context async_context = nullptr;
};

Loop loop;

constexpr uint32_t kMinEmptyPolls = 256;
constexpr uint32_t kYieldAfterEmptyPolls = 16;
constexpr uint64_t kInFlightSpinNs = 20000000;   // 20 ms

// Since the last traffic, or JS activity.
uint64_t Quiet(uint64_t now) { return now < loop.last_activity ? 0 : now - loop.last_activity; }

// Idle means both long enough and enough empty polls: a thread descheduled for a while
// has seen no polls, and must not fall asleep mid-conversation. Frames left in the tx
// backlog must not wait for a sleeping loop either.
bool JustActive() { return loop.empty_polls < kMinEmptyPolls || gz_port_tx_pending(); }

bool SpinAlways(uint64_t) { return true; }

// Data in flight means an ACK or window update is due: sleeping through it stalls the
// sender (a bulk transfer went 40% faster). Only while the peer answers, though: one
// that went quiet for kInFlightSpinNs (gone, or retransmitting) is slept on.
bool SpinWhileTraffic(uint64_t now) {
  uint64_t quiet = Quiet(now);
  return quiet < loop.spin_ns || JustActive() || (quiet < kInFlightSpinNs && gz_tcp_in_flight());
}

bool SpinUntilIdle(uint64_t) { return JustActive(); }

// Indexed by PollMode.
const PollPolicy kPolicies[kPollModes] = {
    /* busy */ {SpinAlways, false, false, false, false},
    /* adaptive */ {SpinWhileTraffic, true, true, false, true},
    /* interrupt */ {SpinUntilIdle, true, true, true, false},
};

void RunPoll();

void SetHandleRefs() {
  uv_handle_t *handles[] = {(uv_handle_t *)&loop.spin, (uv_handle_t *)&loop.sleep,
                            (uv_handle_t *)&loop.intr};
  for (uv_handle_t *h : handles) {
    if (h == (uv_handle_t *)&loop.intr && loop.intr_fd < 0) continue;
    if (loop.refd || loop.lingering) uv_ref(h);
    else uv_unref(h);
  }
}

void StartSpinning() {
  if (loop.spinning) return;
  if (loop.sleeping) {
    uv_timer_stop(&loop.sleep);
    if (loop.intr_fd >= 0) {
      uv_poll_stop(&loop.intr);
      gz_port_rx_intr_enable(false);
    }
    loop.sleeping = false;
  }
  uv_idle_start(&loop.spin, [](uv_idle_t *) { RunPoll(); });
  loop.spinning = true;
}

void StartSleeping() {
  if (loop.sleeping) return;
  if (loop.spinning) {
    uv_idle_stop(&loop.spin);
    loop.spinning = false;
  }
  uint64_t period = loop.idle_ms;
  if (loop.intr_fd >= 0) {
    gz_port_rx_intr_enable(true);
    uv_poll_start(&loop.intr, UV_READABLE, [](uv_poll_t *, int, int) {
      gz_loop.poll.wakeups++;
      RunPoll();
    });
    period = 10;   // only LwIP's timers need the clock now
  }
  uv_timer_start(&loop.sleep, [](uv_timer_t *) { RunPoll(); }, period, period);
  loop.sleeping = true;
  gz_loop.poll.sleeps++;
}

// Like a kernel socket closed just before exit, a connection JS closed keeps
// the process alive (for at most kLingerNs) until its data and FIN are acked.
constexpr uint64_t kLingerNs = 5000000000ull;

void UpdateLinger(uint64_t now) {
  bool lingering = !loop.refd && now < loop.linger_until && gz_tcp_lingering();
  if (lingering == loop.lingering) return;
  loop.lingering = lingering;
  SetHandleRefs();
}

void Schedule(uint64_t now) {
  if (!loop.open) return;
  if (loop.lingering) UpdateLinger(now);
  // (JS may have written during the batch, after `now` was read: that is activity too.)
  if (loop.policy->keep_spinning(now)) StartSpinning();
  else StartSleeping();
}

Napi::Value EventValue(Napi::Env env, const gz_event &ev) {
  if (ev.data == nullptr) return Napi::Number::New(env, (double)ev.a);   // DATA and UDP_MESSAGE carry bytes
  Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(env, gz_event_data_len(&ev));
  gz_event_copy_data(&ev, buf.Data());
  return buf;
}

// One JS call per run of events for the same socket, each followed by a flush. Node's
// ticks and microtasks run at the end of each call, so what JS writes in answer to one
// socket goes out before the next socket's events are handled: the peer works on it
// meanwhile, as it would with the kernel (one callback per readable socket).
// A bulk transfer on one socket still takes one call per poll.
void Deliver(size_t count) {
  Napi::Env env(loop.env);
  Napi::HandleScope scope(env);
  std::vector<Napi::Array> runs;
  for (size_t start = 0; start < count;) {
    size_t end = start + 1;
    while (end < count && gz_events_at(end)->id == gz_events_at(start)->id) end++;
    Napi::Array batch = Napi::Array::New(env, (end - start) * 4);
    for (size_t i = start; i < end; i++) {
      const gz_event &ev = *gz_events_at(i);
      uint32_t k = (uint32_t)((i - start) * 4);
      batch.Set(k, Napi::Number::New(env, ev.type));
      batch.Set(k + 1, Napi::Number::New(env, ev.id));
      batch.Set(k + 2, EventValue(env, ev));
      batch.Set(k + 3, Napi::Number::New(env, ev.b));
    }
    runs.push_back(batch);
    start = end;
  }
  gz_events_clear();   // data is copied: the pbufs (and their mbufs) go back now
  gz_loop.poll.events += count;
  gz_loop.poll.batches += runs.size();
  uint64_t js_start = gz_lat_tsc();
  if (gz_loop.lat_rx_tsc) gz_lat_record(GZ_LAT_RX_TO_JS, gz_loop.lat_rx_tsc, js_start);
  for (size_t i = 0; i < runs.size() && loop.open; i++) {
    if (i > 0) gz_stack_flush();   // the caller flushes after the last run
    try {
      loop.on_events.MakeCallback(loop.resource.Value(), {runs[i]}, loop.async_context);
    } catch (const Napi::Error &e) {
      napi_fatal_exception(loop.env, e.Value());
    }
  }
  gz_lat_record(GZ_LAT_JS_BATCH, js_start, gz_lat_tsc());
}

void RunPoll() {
  if (!loop.open) return;
  loop.in_poll = true;
  unsigned received = gz_stack_poll();
  uint64_t now = gz_now_ns();
  if (received) {
    loop.last_activity = now;
    loop.empty_polls = 0;
  } else if (loop.empty_polls < UINT32_MAX) {
    loop.empty_polls++;
  }
  size_t count = gz_events_count();
  if (count) Deliver(count);
  if (loop.open) gz_stack_flush();
  loop.in_poll = false;
  // Spinning with nothing to do: let other threads on this core run (the peer process,
  // V8's GC and compiler threads) instead of waiting for the scheduler to preempt us.
  if (loop.policy->yields_when_idle && loop.spinning && loop.empty_polls > kYieldAfterEmptyPolls)
    sched_yield();
  Schedule(now);
}

}  // namespace

bool PollModeUsesInterrupt(PollMode mode) { return kPolicies[mode].uses_interrupt; }
bool PollModeNeedsInterrupt(PollMode mode) { return kPolicies[mode].needs_interrupt; }

void LoopStart(Napi::Env env, const LoopConfig &cfg, Napi::Function on_events) {
  if (!loop.handles_ready) {
    napi_get_uv_event_loop(env, &loop.uv);
    uv_idle_init(loop.uv, &loop.spin);
    uv_timer_init(loop.uv, &loop.sleep);
    loop.handles_ready = true;
  }
  loop.intr_fd = cfg.intr_fd;
  if (loop.intr_fd >= 0) uv_poll_init(loop.uv, &loop.intr, loop.intr_fd);

  loop.env = env;
  loop.policy = &kPolicies[cfg.mode];
  loop.spin_ns = loop.policy->uses_spin_window ? cfg.spin_ns : 0;
  loop.idle_ms = cfg.idle_ms;
  loop.on_events = Napi::Persistent(on_events);
  if (!loop.async_context) {   // kept for the process: close may run inside a callback
    loop.resource = Napi::Persistent(Napi::Object::New(env));
    napi_async_init(env, loop.resource.Value(), Napi::String::New(env, "GazelleStack"),
                    &loop.async_context);
  }
  loop.open = true;
  loop.refd = false;
  loop.last_activity = gz_now_ns();
  StartSpinning();
  SetHandleRefs();
}

void LoopStop() {
  if (!loop.open) return;
  if (loop.handles_ready) {
    uv_idle_stop(&loop.spin);
    uv_timer_stop(&loop.sleep);
    if (loop.intr_fd >= 0) uv_poll_stop(&loop.intr);
  }
  loop.spinning = loop.sleeping = false;
  loop.open = false;
  loop.intr_fd = -1;
  loop.on_events.Reset();
}

bool LoopOpen(napi_env env) { return loop.open && loop.env == env; }

bool LoopInUse() { return loop.open; }

void LoopRef(bool refd) {
  if (loop.refd && !refd) loop.linger_until = gz_now_ns() + kLingerNs;
  loop.refd = refd;
  if (!loop.handles_ready) return;
  loop.lingering = false;
  if (loop.open && !refd) UpdateLinger(gz_now_ns());
  SetHandleRefs();
}

void Activity() {
  loop.last_activity = gz_now_ns();
  loop.empty_polls = 0;
  if (!loop.in_poll && loop.open) StartSpinning();
}

void AfterTcpClose() {
  if (!loop.refd) UpdateLinger(gz_now_ns());   // JS often unrefs just before closing
}

}  // namespace gz
