// The poll loop: an idle handle spins (one poll per libuv iteration) while traffic
// flows; otherwise a timer, or the port's rx interrupt, wakes a sleeping stack. Each
// poll receives, runs LwIP, hands the events to JS and flushes. The poll mode's policy
// (busy, adaptive, interrupt) decides between spinning and sleeping; it is chosen once,
// at open, like l3fwd's lookup mode.
#include "loop.h"

#include <uv.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include <sched.h>

#include "common.h"
#include "gazelle.h"

namespace gz {
namespace {

struct PollPolicy {
  bool (*keep_spinning)(uint64_t now);  // after a poll: spin on, or sleep
  bool yields_when_idle;                // sched_yield on empty polls while spinning
  bool uses_interrupt;                  // sleeps on the port's rx interrupt when it has one
  bool needs_interrupt;                 // refuses a port without one
  bool uses_spin_window;                // spin_ns applies
  bool inner_spin;                      // an empty poll is repeated before going back to libuv
};

// A run of events for one socket, handed to JS in one call (see Deliver).
struct Run {
  uint32_t start, count;
  napi_value slab;  // undefined if the run carries no payload
  napi_value big;   // undefined, or the run's large payloads
};

constexpr size_t kSlabSize = 16 * 1024;

// The events callback's buffers (see Deliver). (References to plain Values: a typed
// one re-reads the array's info on every Value().)
struct EventBuffers {
  Napi::Reference<Napi::Value> state;
  double *slots = nullptr;
  size_t capacity = 0;  // events
  Napi::Reference<Napi::Value> slab;
  uint8_t *slab_data = nullptr;
  size_t slab_used = kSlabSize;  // none yet: the first run makes one
};

// One per env (see loop.h). Its JS references are released when the env goes away;
// its handles are closed then, and it is freed once they have called back.
struct EnvLoop {
  napi_env env = nullptr;
  uv_loop_t *uv = nullptr;
  uv_idle_t spin;    // runs a poll every loop iteration while traffic flows
  uv_timer_t sleep;  // wakes a sleeping stack for input and LwIP timers
  bool handles_ready = false;
  unsigned closing = 0;            // handles whose close callback is still to come
  void (*done)(void *) = nullptr;  // set when the env goes away
  void *done_arg = nullptr;
  Napi::FunctionReference on_events;
  Napi::ObjectReference resource;
  napi_async_context async_context = nullptr;
  EventBuffers bufs;
};

// The env whose stack is open (or opening); null: none. Other threads read it.
std::atomic<EnvLoop *> owner{nullptr};

struct Loop {
  EnvLoop *el = nullptr;      // the owner, while open
  uv_poll_t *intr = nullptr;  // wakes it on an rx interrupt, where the port has one
  bool open = false;
  bool in_poll = false;
  bool spinning = false;
  bool sleeping = false;
  bool refd = false;
  bool lingering = false;       // unref'd, but closed connections still sending
  bool output_waiting = false;  // JS wrote (or connected, closed) outside a poll, or ACKs wait
  uint64_t linger_until = 0;
  const PollPolicy *policy = nullptr;
  int intr_fd = -1;
  uint64_t spin_ns = 200000;
  uint64_t idle_ms = 1;
  uint64_t last_activity = 0;
  uint32_t empty_polls = 0;  // polls without traffic since last_activity
  bool core_alone = true;    // the last sched_yield ran no other thread (kYieldAloneUs)
  bool socket_wake = false;  // the port wakes a sleeping loop through a kernel socket
  bool core_wanted = false;  // a sched_yield since the last sleep ran another thread
  std::vector<Run> runs;     // Deliver's, kept to reuse its memory
};

Loop loop;

constexpr uint32_t kMinEmptyPolls = 256;
// While spinning, an empty poll is repeated up to kInnerPolls times before the thread
// goes back to libuv: every libuv iteration costs an epoll_pwait system call (and, once
// idle, a sched_yield), 1-3 us on a VM, which a frame arriving meanwhile waits out,
// while polling an empty ring costs ~20 ns. Bounded, so libuv's timers and sockets
// still get their turn.
constexpr uint32_t kInnerPolls = 64;
constexpr uint32_t kYieldAfterEmptyPolls = 16;
// 64 empty polls take ~1.2 us, after which libuv's iteration (~1.8 us) and a
// sched_yield (~1.3 us) follow: a ping-pong's frame arrived during those syscalls 3
// times in 4 and waited ~2-3 us for them (TSC-stamped trace, memif). Where spinning
// delays no one's frames (gz_port_peer_polls) and the core is ours, the inner spin goes
// on for kLongSpinUs: the loop leaves the ring ~10% of the time instead of ~70%. Still
// bounded, so libuv's timers, immediates and kernel sockets wait at most that long.
constexpr uint64_t kLongSpinUs = 30;
// A sched_yield that returns quicker than this ran no other thread: the core is ours
// (~1.3 us on a VM when it is). One that took longer ran someone else (the peer process
// on a shared core, V8's helper threads): the next spins are short again.
constexpr uint64_t kYieldAloneUs = 5;
constexpr uint64_t kInFlightSpinNs = 20000000;  // 20 ms

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
// On a port that wakes the loop through a kernel socket (af_packet, af_xdp), the frame
// the loop spins for is brought by another thread of this machine (the kernel's softirq
// in the sender's or a relay's context), often on this very core: once a sched_yield on
// an empty ring ran someone else, the core is wanted, and the loop sleeps on the socket
// (woken at the next frame, as in interrupt mode) instead of spinning on. After each
// sleep it spins again until a yield finds the core wanted. (On 2 cores a bulk transfer
// through a relay is 3 busy processes and the kernel's packet work; a spinning stack
// held a whole core.) memif's frames come from a peer that polls: spinning delays none.
bool SpinWhileTraffic(uint64_t now) {
  if (loop.core_wanted && loop.socket_wake && !gz_port_tx_pending()) return false;
  uint64_t quiet = Quiet(now);
  return quiet < loop.spin_ns || JustActive() || (quiet < kInFlightSpinNs && gz_tcp_in_flight());
}

// Interrupt mode sleeps as soon as a few polls found nothing: the interrupt wakes it
// for the next frame, so spinning on would only burn the CPU a kernel server saves.
constexpr uint32_t kInterruptEmptyPolls = 4;
bool SpinUntilIdle(uint64_t) { return loop.empty_polls < kInterruptEmptyPolls || gz_port_tx_pending(); }

// Indexed by PollMode.
const PollPolicy kPolicies[kPollModes] = {
    /* busy */ {SpinAlways, false, false, false, false, true},
    /* adaptive */ {SpinWhileTraffic, true, true, false, true, true},
    /* interrupt */ {SpinUntilIdle, true, true, true, false, false},
};

void RunPoll();

void SetHandleRefs() {
  uv_handle_t *handles[] = {(uv_handle_t *)&loop.el->spin, (uv_handle_t *)&loop.el->sleep,
                            (uv_handle_t *)loop.intr};
  for (uv_handle_t *h : handles) {
    if (h == nullptr) continue;
    if (loop.refd || loop.lingering) uv_ref(h);
    else uv_unref(h);
  }
}

void StartSpinning() {
  if (loop.spinning) return;
  if (loop.sleeping) {
    uv_timer_stop(&loop.el->sleep);
    if (loop.intr) {
      uv_poll_stop(loop.intr);
      gz_port_rx_intr_enable(false);
    }
    loop.sleeping = false;
  }
  uv_idle_start(&loop.el->spin, [](uv_idle_t *) { RunPoll(); });
  loop.spinning = true;
}

void StartSleeping() {
  if (loop.sleeping) return;
  if (loop.spinning) {
    uv_idle_stop(&loop.el->spin);
    loop.spinning = false;
  }
  uint64_t period = loop.idle_ms;
  if (loop.intr) {
    gz_port_rx_intr_enable(true);
    uv_poll_start(loop.intr, UV_READABLE, [](uv_poll_t *, int, int) {
      gz_loop.poll.wakeups++;
      RunPoll();
    });
    // Only LwIP's timers need the clock now; those of data in flight (retransmission,
    // loss probes) work in milliseconds.
    period = gz_tcp_in_flight() ? loop.idle_ms : 10;
  }
  uv_timer_start(
      &loop.el->sleep, [](uv_timer_t *) { RunPoll(); }, period, period);
  loop.sleeping = true;
  loop.core_wanted = false;  // spinning is tried again after the wake
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
  if (loop.policy->keep_spinning(now) || loop.output_waiting) StartSpinning();
  else StartSleeping();
}

// The batch crosses into JS without a JS object per event, as node's stream_base
// hands reads over (streamBaseState): numbers go into a Float64Array shared for the
// stack's life, kEventSlots per event (type, id, a, b, data offset, data length), and
// payloads up to kSlabItemMax are copied into a slab Buffer that JS takes views of
// (subarray), a new slab once one is used up, as Buffer.allocUnsafe's pool does. Larger
// payloads get Buffers of their own, at most kChunk bytes each, in a `big` array in
// event order (offset -k: the next k of them). Like node's own 64 KiB reads: a poll of
// a bulk transfer brings megabytes, and one Buffer that size is fresh memory from mmap,
// page-faulted in on the copy and unmapped after GC (a third of a receiver's time).
// Setting array elements and creating a Buffer per event cost ~1k and ~3.5k
// instructions each through N-API: more than the JS that handles a small read.
constexpr size_t kSlabItemMax = 4 * 1024;
constexpr size_t kChunk = 64 * 1024;

void EnsureCapacity(Napi::Env env, size_t count) {
  EventBuffers &bufs = loop.el->bufs;
  if (count <= bufs.capacity) return;
  size_t n = std::max<size_t>(count, std::max<size_t>(256, bufs.capacity * 2));
  Napi::Float64Array a = Napi::Float64Array::New(env, n * kEventSlots);
  bufs.state = Napi::Persistent(static_cast<Napi::Value>(a));
  bufs.slots = a.Data();
  bufs.capacity = n;
}

// The slab a run's small payloads go to: the current one if it has room for a large
// item, else a new one.
Napi::Value RunSlab(Napi::Env env) {
  EventBuffers &bufs = loop.el->bufs;
  if (kSlabSize - bufs.slab_used < kSlabItemMax) {
    Napi::Buffer<uint8_t> b = Napi::Buffer<uint8_t>::New(env, kSlabSize);
    bufs.slab = Napi::Persistent(static_cast<Napi::Value>(b));
    bufs.slab_data = b.Data();
    bufs.slab_used = 0;
  }
  return bufs.slab.Value();
}

// Fills the slots of event i; its payload goes to the slab or into run.big.
void FillEvent(Napi::Env env, size_t i, Run &run) {
  EventBuffers &bufs = loop.el->bufs;
  const gz_event &ev = *gz_events_at(i);
  double *s = bufs.slots + i * kEventSlots;
  s[0] = ev.type;
  s[1] = ev.id;
  s[2] = (double)ev.a;
  s[3] = ev.b;
  s[4] = -1;
  s[5] = 0;
  if (ev.data == nullptr) return;
  size_t len = gz_event_data_len(&ev);
  s[5] = (double)len;
  if (len <= kSlabItemMax) {
    if (run.slab == nullptr) run.slab = RunSlab(env);
    if (len <= kSlabSize - bufs.slab_used) {
      gz_event_copy_data(&ev, bufs.slab_data + bufs.slab_used);
      s[4] = (double)bufs.slab_used;
      bufs.slab_used += (len + 7) & ~(size_t)7;  // views stay 8-byte aligned
      return;
    }
  }
  if (run.big == nullptr) run.big = Napi::Array::New(env);
  Napi::Array big(env, run.big);
  uint32_t at = big.Length();
  gz_event_cursor cursor{nullptr, 0};
  size_t chunks = 0;
  for (size_t left = len; left; chunks++) {
    size_t n = std::min(left, kChunk);
    Napi::Buffer<uint8_t> b = Napi::Buffer<uint8_t>::New(env, n);
    gz_event_copy_part(&ev, &cursor, b.Data(), n);
    big.Set(at++, b);
    left -= n;
  }
  s[4] = -(double)chunks;
}

// One JS call per run of events for the same socket, each followed by a flush. Node's
// ticks and microtasks run at the end of each call, so what JS writes in answer to one
// socket goes out before the next socket's events are handled: the peer works on it
// meanwhile, as it would with the kernel (one callback per readable socket).
// A bulk transfer on one socket still takes one call per poll.
void Deliver(size_t count) {
  EnvLoop &el = *loop.el;
  Napi::Env env(el.env);
  Napi::HandleScope scope(env);
  EnsureCapacity(env, count);
  std::vector<Run> &runs = loop.runs;
  runs.clear();
  for (size_t start = 0; start < count;) {
    Run run{(uint32_t)start, 0, nullptr, nullptr};
    uint32_t id = gz_events_at(start)->id;
    size_t i = start;
    for (; i < count && gz_events_at(i)->id == id; i++) FillEvent(env, i, run);
    run.count = (uint32_t)(i - start);
    runs.push_back(run);
    start = i;
  }
  gz_events_clear();  // data is copied: the pbufs (and their mbufs) go back now
  gz_loop.poll.events += count;
  gz_loop.poll.batches += runs.size();
  uint64_t js_start = gz_lat_tsc();
  if (gz_loop.lat_rx_tsc) gz_lat_record(GZ_LAT_RX_TO_JS, gz_loop.lat_rx_tsc, js_start);
  napi_value undefined = env.Undefined();
  napi_value state = el.bufs.state.Value();
  for (size_t i = 0; i < runs.size() && loop.open; i++) {
    if (i > 0) {
      gz_stack_flush(GZ_FLUSH_RUN);  // the caller flushes after the last run
      // the ring keeps being emptied while JS works through the batch (traffic: spin on)
      if (gz_stack_receive_between()) loop.empty_polls = 0;
    }
    const Run &run = runs[i];
    napi_value args[5] = {state, Napi::Number::New(env, run.start), Napi::Number::New(env, run.count),
                          run.slab ? run.slab : undefined, run.big ? run.big : undefined};
    try {
      el.on_events.MakeCallback(el.resource.Value(), 5, args, el.async_context);
    } catch (const Napi::Error &e) {
      napi_fatal_exception(el.env, e.Value());
    }
  }
  gz_lat_record(GZ_LAT_JS_BATCH, js_start, gz_lat_tsc());
}

bool LongSpin() { return loop.core_alone && gz_port_peer_polls(); }

void RunPoll() {
  if (!loop.open) return;
  loop.in_poll = true;
  // What JS wrote (or connected, closed) since the last poll, from a timer or an
  // immediate, leaves now rather than after the inner spin below.
  if (loop.output_waiting) {
    loop.output_waiting = false;
    gz_stack_flush(GZ_FLUSH_ALL);
  }
  unsigned received = gz_stack_poll();
  uint32_t empty = received ? 0 : 1;
  if (!received && loop.spinning && loop.policy->inner_spin && !gz_port_tx_pending()) {
    uint64_t until = LongSpin() ? gz_lat_tsc() + kLongSpinUs * gz_tsc_per_us() : 0;
    while (!gz_events_count() && !(received = gz_stack_poll())) {
      if (++empty > kInnerPolls && (until == 0 || gz_lat_tsc() >= until)) break;
    }
  }
  uint64_t now = gz_now_ns();
  if (received) {
    loop.last_activity = now;
    loop.empty_polls = 0;
  } else {
    loop.empty_polls = std::min<uint64_t>(UINT32_MAX, (uint64_t)loop.empty_polls + empty);
  }
  size_t count = gz_events_count();
  if (count) Deliver(count);
  if (loop.open) gz_stack_flush(GZ_FLUSH_POLL);
  // Delayed ACKs that no answer carried wait a few turns (for the immediates JS queued,
  // which may write the answer), then leave: the loop spins meanwhile.
  if (gz_tcp_acks_held()) loop.output_waiting = true;
  loop.in_poll = false;
  // Spinning with nothing to do: let other threads on this core run (the peer process,
  // V8's GC and compiler threads) instead of waiting for the scheduler to preempt us.
  if (loop.policy->yields_when_idle && loop.spinning && loop.empty_polls > kYieldAfterEmptyPolls) {
    uint64_t before = gz_lat_tsc();
    sched_yield();
    loop.core_alone = gz_lat_tsc() - before < kYieldAloneUs * gz_tsc_per_us();
    if (!loop.core_alone) loop.core_wanted = true;
  }
  Schedule(now);
}

}  // namespace

bool PollModeUsesInterrupt(PollMode mode) { return kPolicies[mode].uses_interrupt; }
bool PollModeNeedsInterrupt(PollMode mode) { return kPolicies[mode].needs_interrupt; }

namespace {

EnvLoop *EnvLoopOf(napi_env env) {
  void *data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<EnvLoop *>(data);
}

// A handle of el has closed: once none is left and the env has gone, el goes too.
void HandleClosed(uv_handle_t *h) {
  EnvLoop *el = static_cast<EnvLoop *>(h->data);
  if (h->type == UV_POLL) delete reinterpret_cast<uv_poll_t *>(h);
  if (--el->closing == 0 && el->done) {
    el->done(el->done_arg);
    delete el;
  }
}

void Close(EnvLoop *el, uv_handle_t *h) {
  h->data = el;
  el->closing++;
  uv_close(h, HandleClosed);
}

}  // namespace

void LoopEnvInit(napi_env env) {
  EnvLoop *el = new EnvLoop();
  el->env = env;
  napi_set_instance_data(env, el, nullptr, nullptr);
}

void LoopEnvClose(napi_env env, void (*done)(void *), void *arg) {
  EnvLoop *el = EnvLoopOf(env);
  if (el == nullptr) return done(arg);
  napi_set_instance_data(env, nullptr, nullptr, nullptr);
  if (el->async_context) napi_async_destroy(env, el->async_context);
  el->async_context = nullptr;
  el->resource.Reset();
  el->on_events.Reset();
  el->bufs = EventBuffers();
  if (el->handles_ready) {
    Close(el, (uv_handle_t *)&el->spin);
    Close(el, (uv_handle_t *)&el->sleep);
  }
  if (el->closing == 0) {
    delete el;
    return done(arg);
  }
  el->done = done;  // the last close callback calls it
  el->done_arg = arg;
}

bool LoopClaim(napi_env env) {
  EnvLoop *el = EnvLoopOf(env);
  EnvLoop *none = nullptr;
  return el != nullptr && owner.compare_exchange_strong(none, el);
}

void LoopRelease() { owner.store(nullptr); }

void LoopStart(Napi::Env env, const LoopConfig &cfg, Napi::Function on_events) {
  EnvLoop *el = EnvLoopOf(env);
  if (!el->handles_ready) {
    napi_get_uv_event_loop(env, &el->uv);
    uv_idle_init(el->uv, &el->spin);
    uv_timer_init(el->uv, &el->sleep);
    el->handles_ready = true;
  }
  if (!el->async_context) {  // kept for the env: close may run inside a callback
    el->resource = Napi::Persistent(Napi::Object::New(env));
    napi_async_init(env, el->resource.Value(), Napi::String::New(env, "GazelleStack"), &el->async_context);
  }
  el->on_events = Napi::Persistent(on_events);
  loop.el = el;
  loop.intr_fd = cfg.intr_fd;
  loop.socket_wake = loop.intr_fd >= 0 && gz_port_socket_wake();
  loop.core_wanted = false;
  if (loop.intr_fd >= 0) {
    loop.intr = new uv_poll_t;
    uv_poll_init(el->uv, loop.intr, loop.intr_fd);
  }
  loop.policy = &kPolicies[cfg.mode];
  loop.spin_ns = loop.policy->uses_spin_window ? cfg.spin_ns : 0;
  loop.idle_ms = cfg.idle_ms;
  loop.open = true;
  loop.refd = false;
  loop.lingering = false;
  loop.last_activity = gz_now_ns();
  StartSpinning();
  SetHandleRefs();
}

void LoopStop() {
  if (!loop.open) return;
  EnvLoop *el = loop.el;
  uv_idle_stop(&el->spin);
  uv_timer_stop(&el->sleep);
  if (loop.intr) {  // the next stack's port has another fd, or none
    uv_poll_stop(loop.intr);
    Close(el, (uv_handle_t *)loop.intr);
    loop.intr = nullptr;
  }
  loop.spinning = loop.sleeping = false;
  loop.open = false;
  loop.intr_fd = -1;
  el->on_events.Reset();
  el->bufs = EventBuffers();
}

bool LoopOpen(napi_env env) {
  EnvLoop *el = owner.load();
  return el != nullptr && el->env == env && loop.open;
}

bool LoopInUse() { return owner.load() != nullptr; }

void LoopRef(napi_env env, bool refd) {
  if (!LoopOpen(env)) return;
  if (loop.refd && !refd) loop.linger_until = gz_now_ns() + kLingerNs;
  loop.refd = refd;
  loop.lingering = false;
  if (!refd) UpdateLinger(gz_now_ns());
  SetHandleRefs();
}

void Activity() {
  loop.last_activity = gz_now_ns();
  loop.empty_polls = 0;
  // JS that calls the stack in a long loop (ends 10,000 connections in one go) holds
  // the polls off: the port's ring is emptied into LwIP meanwhile, at most every
  // 200 us (gz_stack_receive_between), or the peer's answers overflow it.
  if (loop.open) gz_stack_receive_between();
  if (!loop.in_poll) loop.output_waiting = true;
  if (!loop.in_poll && loop.open) StartSpinning();
}

void AfterTcpClose() {
  if (!loop.refd) UpdateLinger(gz_now_ns());  // JS often unrefs just before closing
}

}  // namespace gz
