// The stack's life: stackOpen (EAL once per process, the port, the netif, then the
// poll loop), stackClose, and the stack-wide queries (ref, draining, link, MAC, stats).
// Any env (the main thread or a worker) may open the process's one stack; it closes
// when that env goes away at the latest. EAL stays until the process exits (eal.c).
#include <algorithm>
#include <string>
#include <vector>

#include <cstdio>

#include "common.h"
#include "loop.h"

namespace gz {
namespace {

void CloseStack() {
  LoopStop();
  gz_events_free();  // undelivered data holds mbufs: return them before the pool goes
  gz_tcp_close_all();
  gz_udp_close_all();
  gz_capture_free();  // frames are copied out of mbufs: nothing here outlives the pool
  gz_lat_reset();
  gz_port_flush();
  gz_netif_close();
  gz_port_close();
  gz_mem_release();  // LwIP's pools, if it holds nothing more
  LoopRelease();
}

// When an env goes away (a worker thread ends, or the process): the stack it holds
// closes, then its libuv handles, before its loop does.
void Teardown(napi_async_cleanup_hook_handle hook, void *arg) {
  napi_env env = static_cast<napi_env>(arg);
  if (LoopOpen(env)) CloseStack();
  LoopEnvClose(
      env, [](void *h) { napi_remove_async_cleanup_hook(static_cast<napi_async_cleanup_hook_handle>(h)); },
      hook);
}

// The claim on the process's stack, given back unless the stack opened.
struct Claim {
  bool kept = false;
  ~Claim() {
    if (!kept) LoopRelease();
  }
};

// Fault injection rates from { rx: {drop, duplicate, reorder, corrupt, delayUs}, tx: {...},
// seed } (validated in TypeScript); null or undefined turns it off.
void ApplyFaults(Napi::Value v) {
  if (!v.IsObject()) {
    gz_faults_reset();
    return;
  }
  Napi::Object o = v.As<Napi::Object>();
  auto rates = [&](const char *dir) {
    gz_fault_rates r{};
    Napi::Object d = o.Get(dir).As<Napi::Object>();
    r.drop = d.Get("drop").As<Napi::Number>().DoubleValue();
    r.duplicate = d.Get("duplicate").As<Napi::Number>().DoubleValue();
    r.reorder = d.Get("reorder").As<Napi::Number>().DoubleValue();
    r.corrupt = d.Get("corrupt").As<Napi::Number>().DoubleValue();
    r.delay_us = U32(d, "delayUs");
    return r;
  };
  gz_fault_rates rx = rates("rx"), tx = rates("tx");
  gz_faults_set(&rx, &tx, (uint64_t)o.Get("seed").As<Napi::Number>().Int64Value());
}

bool ParseMac(const std::string &s, uint8_t mac[6]) {
  unsigned v[6];
  if (sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return false;
  for (int i = 0; i < 6; i++) mac[i] = (uint8_t)v[i];
  return true;
}

Napi::Value StackOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  gz_error err{};
  if (!LoopClaim(env)) ThrowCoded(env, "ERR_GAZELLE_STACK_OPEN", "a stack is already open in this process");
  Claim claim;
  Napi::Object cfg = info[0].As<Napi::Object>();
  Napi::Function on_events = info[1].As<Napi::Function>();

  Napi::Array eal_args = cfg.Get("ealArgs").As<Napi::Array>();
  std::vector<std::string> args{"gazelle-node"};
  for (uint32_t i = 0; i < eal_args.Length(); i++)
    args.push_back(eal_args.Get(i).As<Napi::String>().Utf8Value());
  std::vector<char *> argv;
  for (std::string &a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (gz_eal_init((int)args.size(), argv.data(), &err) != 0) ThrowCoded(env, err);

  std::string vdev_name = cfg.Get("vdevName").As<Napi::String>().Utf8Value();
  std::string vdev_args = cfg.Get("vdevArgs").As<Napi::String>().Utf8Value();
  PollMode mode = (PollMode)std::min<uint32_t>(U32(cfg, "pollMode"), kPollModes - 1);
  gz_port_config pc{};
  pc.vdev_name = vdev_name.c_str();
  pc.vdev_args = vdev_args.c_str();
  pc.mbufs = U32(cfg, "mbufs");
  pc.rx_desc = (uint16_t)U32(cfg, "rxQueueSize");
  pc.tx_desc = (uint16_t)U32(cfg, "txQueueSize");
  pc.mtu = (uint16_t)U32(cfg, "mtu");
  pc.queues = (uint16_t)U32(cfg, "queues");
  pc.rx_intr = PollModeUsesInterrupt(mode);
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
  if (!cfg.Get("checksums").As<Napi::Boolean>().Value()) gz_netif_skip_checksums();

  int intr_fd = PollModeUsesInterrupt(mode) ? gz_port_rx_intr_fd() : -1;
  if (PollModeNeedsInterrupt(mode) && intr_fd < 0) {
    gz_netif_close();
    gz_port_close();
    gz_fail(&err, "ERR_GAZELLE_NO_INTERRUPT", "%s has no rx interrupt: use poll 'adaptive' or 'busy'",
            vdev_name.c_str());
    ThrowCoded(env, err);
  }

  ApplyFaults(cfg.Get("faults"));
  gz_tcp_set_limit(U32(cfg, "maxConnections"));

  LoopConfig lc{};
  lc.mode = mode;
  lc.intr_fd = intr_fd;
  lc.spin_ns = (uint64_t)U32(cfg, "spinMicros") * 1000;
  lc.idle_ms = std::max<uint32_t>(1, U32(cfg, "idleMillis"));
  LoopStart(env, lc, on_events);
  claim.kept = true;
  return env.Undefined();
}

Napi::Value StackClose(const Napi::CallbackInfo &info) {
  if (LoopOpen(info.Env())) CloseStack();
  return info.Env().Undefined();
}

// Frames still to leave: connections closed with data or FIN not yet acked, or a tx
// backlog. stack.close() waits (bounded) for this to clear so peers see the close.
Napi::Value StackDraining(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(),
                            LoopOpen(info.Env()) && (gz_tcp_lingering() || gz_port_tx_pending() > 0));
}

Napi::Value StackRef(const Napi::CallbackInfo &info) {
  LoopRef(info.Env(), info[0].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

// Whether the process's stack is open (or opening) in any thread: createStack asks
// before it prepares a device for a stack that could not open.
Napi::Value StackInUse(const Napi::CallbackInfo &info) { return Napi::Boolean::New(info.Env(), LoopInUse()); }

Napi::Value StackLinkUp(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(), LoopOpen(info.Env()) && gz_port_link_up());
}

Napi::Value StackMac(const Napi::CallbackInfo &info) {
  uint8_t m[6] = {0};
  if (LoopOpen(info.Env())) gz_port_mac(m);
  char s[18];
  snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return Napi::String::New(info.Env(), s);
}

Napi::Value StackSetFaults(const Napi::CallbackInfo &info) {
  if (LoopOpen(info.Env())) ApplyFaults(info[0]);
  return info.Env().Undefined();
}

Napi::Value StackStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  if (!LoopOpen(env)) return out;
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

}  // namespace

void InitLifecycle(Napi::Env env, Napi::Object exports) {
  LoopEnvInit(env);
  napi_add_async_cleanup_hook(env, Teardown, static_cast<napi_env>(env), nullptr);
  exports.Set("stackInUse", Napi::Function::New(env, StackInUse));
  exports.Set("stackOpen", Napi::Function::New(env, StackOpen));
  exports.Set("stackClose", Napi::Function::New(env, StackClose));
  exports.Set("stackRef", Napi::Function::New(env, StackRef));
  exports.Set("stackDraining", Napi::Function::New(env, StackDraining));
  exports.Set("stackLinkUp", Napi::Function::New(env, StackLinkUp));
  exports.Set("stackMac", Napi::Function::New(env, StackMac));
  exports.Set("stackStats", Napi::Function::New(env, StackStats));
  exports.Set("stackSetFaults", Napi::Function::New(env, StackSetFaults));
}

}  // namespace gz
