// The node-addon-api binding: marshals JS arguments into the C core and drives
// the poll loop from libuv handles on the thread that opened the stack.
// Validation lives in TypeScript (packages/stack); this layer trusts its input.
#include <napi.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include <sched.h>

#include "gazelle.h"


// Operator visibility (issue 7): latency, connections list, capture, peer credentials.
void InitOps(Napi::Env env, Napi::Object exports);
void InitXdp(Napi::Env env, Napi::Object exports);

namespace {

enum PollMode { kBusy = 0, kAdaptive = 1, kInterrupt = 2 };

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
  int mode = kAdaptive;
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
      gz_poll.wakeups++;
      RunPoll();
    });
    period = 10;   // only LwIP's timers need the clock now
  }
  uv_timer_start(&loop.sleep, [](uv_timer_t *) { RunPoll(); }, period, period);
  loop.sleeping = true;
  gz_poll.sleeps++;
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

constexpr uint32_t kMinEmptyPolls = 256;
constexpr uint32_t kYieldAfterEmptyPolls = 16;
constexpr uint64_t kInFlightSpinNs = 20000000;   // 20 ms

void Schedule(uint64_t now) {
  if (!loop.open) return;
  if (loop.lingering) UpdateLinger(now);
  // Frames left in the tx backlog must not wait for a sleeping loop.
  // (JS may have written during the batch, after `now` was read: that is activity too.)
  // Idle means both long enough and enough empty polls: a thread descheduled
  // for a while has seen no polls, and must not fall asleep mid-conversation.
  // Data in flight means an ACK or window update is due: sleeping through it stalls
  // the sender (a bulk transfer went 40% faster). Only while the peer answers, though:
  // one that went quiet for kInFlightSpinNs (gone, or retransmitting) is slept on.
  uint64_t quiet = now < loop.last_activity ? 0 : now - loop.last_activity;
  bool active = quiet < loop.spin_ns || loop.empty_polls < kMinEmptyPolls ||
                (loop.mode == kAdaptive && quiet < kInFlightSpinNs && gz_tcp_in_flight());
  if (loop.mode == kBusy || active || gz_port_tx_pending())
    StartSpinning();
  else StartSleeping();
}

// JS did something (write, connect, close...) outside a poll: make sure a poll
// runs on the next loop iteration to flush it, and keep spinning for a reply.
void Activity() {
  loop.last_activity = gz_now_ns();
  loop.empty_polls = 0;
  if (!loop.in_poll && loop.open) StartSpinning();
}

Napi::Value EventValue(Napi::Env env, const gz_event &ev) {
  if (ev.data == nullptr) return Napi::Number::New(env, ev.a);   // DATA and UDP_MESSAGE carry bytes
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
  gz_poll.events += count;
  gz_poll.batches += runs.size();
  uint64_t js_start = gz_lat_tsc();
  if (gz_lat_rx_tsc) gz_lat_record(GZ_LAT_RX_TO_JS, gz_lat_rx_tsc, js_start);
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
  if (loop.mode != kBusy && loop.spinning && loop.empty_polls > kYieldAfterEmptyPolls) sched_yield();
  Schedule(now);
}

void StopHandles() {
  if (!loop.handles_ready) return;
  uv_idle_stop(&loop.spin);
  uv_timer_stop(&loop.sleep);
  if (loop.intr_fd >= 0) uv_poll_stop(&loop.intr);
  loop.spinning = loop.sleeping = false;
}

void CloseStack() {
  if (!loop.open) return;
  StopHandles();
  loop.open = false;
  gz_events_free();    // undelivered data holds mbufs: return them before the pool goes
  gz_tcp_close_all();
  gz_udp_close_all();
  gz_capture_free();   // frames are copied out of mbufs: nothing here outlives the pool
  gz_lat_reset();
  gz_port_flush();
  gz_netif_close();
  gz_port_close();
  loop.intr_fd = -1;
  loop.on_events.Reset();
}

// At process exit: release the port, then EAL and its runtime files.
void Cleanup(void *) {
  CloseStack();
  gz_eal_cleanup();
}

[[noreturn]] void ThrowCoded(Napi::Env env, const gz_error &err) {
  Napi::Error e = Napi::Error::New(env, err.message);
  e.Set("code", Napi::String::New(env, err.code));
  throw e;
}

uint32_t U32(const Napi::Object &o, const char *key) {
  return o.Get(key).As<Napi::Number>().Uint32Value();
}

bool ParseMac(const std::string &s, uint8_t mac[6]) {
  unsigned v[6];
  if (sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
    return false;
  for (int i = 0; i < 6; i++) mac[i] = (uint8_t)v[i];
  return true;
}

Napi::Value StackOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  gz_error err{};
  if (loop.open) {
    gz_fail(&err, "ERR_GAZELLE_STACK_OPEN", "a stack is already open in this process");
    ThrowCoded(env, err);
  }
  Napi::Object cfg = info[0].As<Napi::Object>();
  Napi::Function on_events = info[1].As<Napi::Function>();

  static bool cleanup_registered = false;
  Napi::Array eal_args = cfg.Get("ealArgs").As<Napi::Array>();
  std::vector<std::string> args{"gazelle-node"};
  for (uint32_t i = 0; i < eal_args.Length(); i++)
    args.push_back(eal_args.Get(i).As<Napi::String>().Utf8Value());
  std::vector<char *> argv;
  for (std::string &a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (gz_eal_init((int)args.size(), argv.data(), &err) != 0) ThrowCoded(env, err);
  if (!cleanup_registered) {
    napi_add_env_cleanup_hook(env, Cleanup, nullptr);
    cleanup_registered = true;
  }

  std::string vdev_name = cfg.Get("vdevName").As<Napi::String>().Utf8Value();
  std::string vdev_args = cfg.Get("vdevArgs").As<Napi::String>().Utf8Value();
  int mode = (int)U32(cfg, "pollMode");
  gz_port_config pc{};
  pc.vdev_name = vdev_name.c_str();
  pc.vdev_args = vdev_args.c_str();
  pc.mbufs = U32(cfg, "mbufs");
  pc.rx_desc = (uint16_t)U32(cfg, "rxQueueSize");
  pc.tx_desc = (uint16_t)U32(cfg, "txQueueSize");
  pc.mtu = (uint16_t)U32(cfg, "mtu");
  pc.rx_intr = mode != kBusy;
  pc.queues = (uint16_t)U32(cfg, "queues");
  if (gz_port_open(&pc, &err) != 0) ThrowCoded(env, err);

  uint8_t mac[6];
  std::string mac_opt = cfg.Get("mac").As<Napi::String>().Utf8Value();
  if (!mac_opt.empty() && ParseMac(mac_opt, mac)) gz_port_set_mac(mac);
  gz_port_mac(mac);
  if (gz_netif_open(U32(cfg, "ip"), U32(cfg, "netmask"), U32(cfg, "gateway"), mac, pc.mtu,
                    gz_port_tx_cksum_offload(), &err) != 0) {
    gz_port_close();
    ThrowCoded(env, err);
  }

  loop.intr_fd = mode == kBusy ? -1 : gz_port_rx_intr_fd();
  if (mode == kInterrupt && loop.intr_fd < 0) {
    gz_netif_close();
    gz_port_close();
    gz_fail(&err, "ERR_GAZELLE_NO_INTERRUPT",
            "%s has no rx interrupt: use poll 'adaptive' or 'busy'", vdev_name.c_str());
    ThrowCoded(env, err);
  }

  if (!loop.handles_ready) {
    napi_get_uv_event_loop(env, &loop.uv);
    uv_idle_init(loop.uv, &loop.spin);
    uv_timer_init(loop.uv, &loop.sleep);
    loop.handles_ready = true;
  }
  if (loop.intr_fd >= 0) uv_poll_init(loop.uv, &loop.intr, loop.intr_fd);

  loop.env = env;
  loop.mode = mode;
  loop.spin_ns = mode == kInterrupt ? 0 : (uint64_t)U32(cfg, "spinMicros") * 1000;
  loop.idle_ms = std::max<uint32_t>(1, U32(cfg, "idleMillis"));
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
  return env.Undefined();
}

Napi::Value StackClose(const Napi::CallbackInfo &info) {
  CloseStack();
  return info.Env().Undefined();
}

// Frames still to leave: connections closed with data or FIN not yet acked, or a tx
// backlog. stack.close() waits (bounded) for this to clear so peers see the close.
Napi::Value StackDraining(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(), loop.open && (gz_tcp_lingering() || gz_port_tx_pending() > 0));
}

Napi::Value StackRef(const Napi::CallbackInfo &info) {
  bool refd = info[0].As<Napi::Boolean>().Value();
  if (loop.refd && !refd) loop.linger_until = gz_now_ns() + kLingerNs;
  loop.refd = refd;
  if (!loop.handles_ready) return info.Env().Undefined();
  loop.lingering = false;
  if (loop.open && !refd) UpdateLinger(gz_now_ns());
  SetHandleRefs();
  return info.Env().Undefined();
}

Napi::Value StackLinkUp(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(), loop.open && gz_port_link_up());
}

Napi::Value StackMac(const Napi::CallbackInfo &info) {
  uint8_t m[6] = {0};
  if (loop.open) gz_port_mac(m);
  char s[18];
  snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return Napi::String::New(info.Env(), s);
}

Napi::Value StackStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  if (!loop.open) return out;
  struct Ctx {
    Napi::Env env;
    Napi::Object out;
  } ctx{env, out};
  gz_stats_visit(
      [](void *p, const char *group, const char *name, double value) {
        Ctx &c = *static_cast<Ctx *>(p);
        if (!c.out.Has(group)) c.out.Set(group, Napi::Object::New(c.env));
        c.out.Get(group).As<Napi::Object>().Set(name, Napi::Number::New(c.env, value));
      },
      &ctx);
  return out;
}

void RequireOpen(Napi::Env env) {
  if (loop.open) return;
  gz_error err{};
  gz_fail(&err, "ERR_GAZELLE_STACK_CLOSED", "the stack is closed");
  ThrowCoded(env, err);
}

uint32_t Arg(const Napi::CallbackInfo &info, size_t i) {
  return info[i].As<Napi::Number>().Uint32Value();
}

Napi::Value TcpListen(const Napi::CallbackInfo &info) {
  RequireOpen(info.Env());
  gz_error err{};
  int id = gz_tcp_listen(Arg(info, 0), (uint16_t)Arg(info, 1), (int)Arg(info, 2), &err);
  if (id < 0) ThrowCoded(info.Env(), err);
  return Napi::Number::New(info.Env(), id);
}

Napi::Value TcpConnect(const Napi::CallbackInfo &info) {
  RequireOpen(info.Env());
  gz_error err{};
  int id = gz_tcp_connect(Arg(info, 0), (uint16_t)Arg(info, 1), (uint16_t)Arg(info, 2), &err);
  if (id < 0) ThrowCoded(info.Env(), err);
  Activity();
  return Napi::Number::New(info.Env(), id);
}

Napi::Value TcpLocalPort(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), loop.open ? gz_tcp_local_port(Arg(info, 0)) : -1);
}

Napi::Value TcpWrite(const Napi::CallbackInfo &info) {
  if (!loop.open) return Napi::Number::New(info.Env(), -1);
  Napi::Buffer<uint8_t> buf = info[1].As<Napi::Buffer<uint8_t>>();
  size_t offset = Arg(info, 2), len = Arg(info, 3);
  if (offset > buf.Length() || len > buf.Length() - offset) len = 0;
  long n = gz_tcp_write(Arg(info, 0), buf.Data() + offset, len);
  if (n > 0) Activity();
  return Napi::Number::New(info.Env(), (double)n);
}

Napi::Value TcpInfo(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  struct gz_tcp_info ti;
  if (!loop.open || gz_tcp_info(Arg(info, 0), &ti) != 0) return env.Null();
  static const char *states[] = {"CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RCVD",
                                 "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
                                 "CLOSING",    "LAST_ACK",   "TIME_WAIT"};
  Napi::Object o = Napi::Object::New(env);
  o.Set("state", states[ti.state < 11 ? ti.state : 0]);
  o.Set("localIp", ti.local_ip);
  o.Set("localPort", ti.local_port);
  o.Set("remoteIp", ti.remote_ip);
  o.Set("remotePort", ti.remote_port);
  o.Set("sendWindow", ti.snd_wnd);
  o.Set("receiveWindow", ti.rcv_wnd);
  o.Set("cwnd", ti.cwnd);
  o.Set("ssthresh", ti.ssthresh);
  o.Set("sendBufferFree", ti.snd_buf);
  o.Set("mss", ti.mss);
  o.Set("unackedBytes", ti.unacked_bytes);
  o.Set("unsentBytes", ti.unsent_bytes);
  o.Set("queueLength", ti.queue_len);
  o.Set("rtoMillis", ti.rto_ms);
  o.Set("retransmits", ti.retransmits);
  o.Set("receivedNotAcked", ti.unacked_rx);
  o.Set("paused", ti.paused);
  return o;
}

// shutdown, close, abort, pause, nodelay, keepalive: an op on an id, then a flush soon.
template <int (*Op)(const Napi::CallbackInfo &)>
Napi::Value SocketOp(const Napi::CallbackInfo &info) {
  if (!loop.open) return Napi::Boolean::New(info.Env(), false);
  int rc = Op(info);
  Activity();
  return Napi::Boolean::New(info.Env(), rc == 0);
}

int OpShutdown(const Napi::CallbackInfo &i) { return gz_tcp_shutdown(Arg(i, 0)); }
int OpClose(const Napi::CallbackInfo &i) {
  int rc = gz_tcp_close(Arg(i, 0));
  if (!loop.refd) UpdateLinger(gz_now_ns());   // JS often unrefs just before closing
  return rc;
}
int OpAbort(const Napi::CallbackInfo &i) { return gz_tcp_abort(Arg(i, 0)); }
int OpPause(const Napi::CallbackInfo &i) {
  return gz_tcp_pause(Arg(i, 0), i[1].As<Napi::Boolean>().Value());
}
int OpNoDelay(const Napi::CallbackInfo &i) {
  return gz_tcp_set_nodelay(Arg(i, 0), i[1].As<Napi::Boolean>().Value());
}
int OpKeepAlive(const Napi::CallbackInfo &i) {
  return gz_tcp_set_keepalive(Arg(i, 0), i[1].As<Napi::Boolean>().Value(), Arg(i, 2));
}

// ---- UDP (udp_sock.c): every call answers a number, -errno on failure ----

Napi::Value UdpOpen(const Napi::CallbackInfo &info) {
  RequireOpen(info.Env());
  return Napi::Number::New(info.Env(), gz_udp_open(info[0].As<Napi::Boolean>().Value()));
}

// An op on a UDP socket id: -EBADF once the stack is closed, else the core's answer.
template <long (*Op)(const Napi::CallbackInfo &)>
Napi::Value UdpOp(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), (double)(loop.open ? Op(info) : -EBADF));
}

long OpUdpBind(const Napi::CallbackInfo &i) { return gz_udp_bind(Arg(i, 0), Arg(i, 1), (uint16_t)Arg(i, 2)); }
long OpUdpConnect(const Napi::CallbackInfo &i) {
  return gz_udp_connect(Arg(i, 0), Arg(i, 1), (uint16_t)Arg(i, 2));
}
long OpUdpDisconnect(const Napi::CallbackInfo &i) { return gz_udp_disconnect(Arg(i, 0)); }
long OpUdpClose(const Napi::CallbackInfo &i) { return gz_udp_close(Arg(i, 0)); }
long OpUdpSetOption(const Napi::CallbackInfo &i) {
  return gz_udp_set_option(Arg(i, 0), (gz_udp_option)Arg(i, 1), Arg(i, 2));
}
long OpUdpGetOption(const Napi::CallbackInfo &i) { return gz_udp_get_option(Arg(i, 0), (gz_udp_option)Arg(i, 1)); }

// udpMembership(id, group, join): the IGMP report goes out with the next flush.
long OpUdpMembership(const Napi::CallbackInfo &i) {
  int rc = gz_udp_membership(Arg(i, 0), Arg(i, 1), i[2].As<Napi::Boolean>().Value());
  if (rc == 0) Activity();
  return rc;
}

// udpSend(id, ip, port, Buffer | Buffer[]): the bytes are copied before it returns.
long OpUdpSend(const Napi::CallbackInfo &info) {
  constexpr unsigned kInline = 8;
  gz_iov inline_iov[kInline];
  std::vector<gz_iov> heap_iov;
  gz_iov *iov = inline_iov;
  unsigned n = 1;
  if (info[3].IsArray()) {
    Napi::Array list = info[3].As<Napi::Array>();
    n = list.Length();
    if (n > kInline) {
      heap_iov.resize(n);
      iov = heap_iov.data();
    }
    for (unsigned i = 0; i < n; i++) {
      Napi::Buffer<uint8_t> b = list.Get(i).As<Napi::Buffer<uint8_t>>();
      iov[i] = {b.Data(), b.Length()};
    }
  } else {
    Napi::Buffer<uint8_t> b = info[3].As<Napi::Buffer<uint8_t>>();
    iov[0] = {b.Data(), b.Length()};
  }
  long rc = gz_udp_send(Arg(info, 0), Arg(info, 1), (uint16_t)Arg(info, 2), iov, n);
  if (rc >= 0) Activity();
  return rc;
}

// udpAddress(id) -> { localIp, localPort, remoteIp, remotePort, connected } or -errno
Napi::Value UdpAddress(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  struct gz_udp_address a{};
  int rc = loop.open ? gz_udp_address(Arg(info, 0), &a) : -EBADF;
  if (rc < 0) return Napi::Number::New(env, rc);
  Napi::Object o = Napi::Object::New(env);
  o.Set("localIp", a.local_ip);
  o.Set("localPort", a.local_port);
  o.Set("remoteIp", a.remote_ip);
  o.Set("remotePort", a.remote_port);
  o.Set("connected", a.connected);
  return o;
}

Napi::Value UdpCounters(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  struct gz_udp_counters c{};
  int rc = loop.open ? gz_udp_counters(Arg(info, 0), &c) : -EBADF;
  if (rc < 0) return Napi::Number::New(env, rc);
  Napi::Object o = Napi::Object::New(env);
  o.Set("rxDatagrams", (double)c.rx_datagrams);
  o.Set("rxBytes", (double)c.rx_bytes);
  o.Set("rxDropped", (double)c.rx_dropped);
  o.Set("txDatagrams", (double)c.tx_datagrams);
  o.Set("txBytes", (double)c.tx_bytes);
  o.Set("txErrors", (double)c.tx_errors);
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("stackOpen", Napi::Function::New(env, StackOpen));
  exports.Set("stackClose", Napi::Function::New(env, StackClose));
  exports.Set("stackRef", Napi::Function::New(env, StackRef));
  exports.Set("stackDraining", Napi::Function::New(env, StackDraining));
  exports.Set("stackLinkUp", Napi::Function::New(env, StackLinkUp));
  exports.Set("stackMac", Napi::Function::New(env, StackMac));
  exports.Set("stackStats", Napi::Function::New(env, StackStats));
  exports.Set("tcpListen", Napi::Function::New(env, TcpListen));
  exports.Set("tcpConnect", Napi::Function::New(env, TcpConnect));
  exports.Set("tcpLocalPort", Napi::Function::New(env, TcpLocalPort));
  exports.Set("tcpInfo", Napi::Function::New(env, TcpInfo));
  exports.Set("tcpWrite", Napi::Function::New(env, TcpWrite));
  exports.Set("tcpShutdown", Napi::Function::New(env, SocketOp<OpShutdown>));
  exports.Set("tcpClose", Napi::Function::New(env, SocketOp<OpClose>));
  exports.Set("tcpAbort", Napi::Function::New(env, SocketOp<OpAbort>));
  exports.Set("tcpPause", Napi::Function::New(env, SocketOp<OpPause>));
  exports.Set("tcpSetNoDelay", Napi::Function::New(env, SocketOp<OpNoDelay>));
  exports.Set("tcpSetKeepAlive", Napi::Function::New(env, SocketOp<OpKeepAlive>));
  exports.Set("udpOpen", Napi::Function::New(env, UdpOpen));
  exports.Set("udpBind", Napi::Function::New(env, UdpOp<OpUdpBind>));
  exports.Set("udpConnect", Napi::Function::New(env, UdpOp<OpUdpConnect>));
  exports.Set("udpDisconnect", Napi::Function::New(env, UdpOp<OpUdpDisconnect>));
  exports.Set("udpClose", Napi::Function::New(env, UdpOp<OpUdpClose>));
  exports.Set("udpSend", Napi::Function::New(env, UdpOp<OpUdpSend>));
  exports.Set("udpSetOption", Napi::Function::New(env, UdpOp<OpUdpSetOption>));
  exports.Set("udpGetOption", Napi::Function::New(env, UdpOp<OpUdpGetOption>));
  exports.Set("udpMembership", Napi::Function::New(env, UdpOp<OpUdpMembership>));
  exports.Set("udpAddress", Napi::Function::New(env, UdpAddress));
  exports.Set("udpCounters", Napi::Function::New(env, UdpCounters));
  InitOps(env, exports);
  InitXdp(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(gazelle, Init)
