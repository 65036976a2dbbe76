// xdp*: the af_xdp device's host side (xdp.h): the checks before the port opens,
// starting and stopping the steering around it, and how it runs. Marshalling only.
#include <set>

#include "common.h"
#include "xdp.h"

namespace gz {
namespace {

// Before the port opens: (ifname, programPath) -> what was cleaned up ("" if nothing).
Napi::Value XdpPrepare(const Napi::CallbackInfo &info) {
  std::string ifname = info[0].As<Napi::String>().Utf8Value();
  std::string prog = info[1].As<Napi::String>().Utf8Value();
  char note[256];
  gz_error err{};
  if (gz_xdp_prepare(ifname.c_str(), prog.c_str(), note, sizeof(note), &err) != 0)
    ThrowCoded(info.Env(), err);
  return Napi::String::New(info.Env(), note);
}

Napi::Value XdpLoadLog(const Napi::CallbackInfo &info) {
  return Napi::String::New(info.Env(), gz_xdp_load_log());
}

Napi::Object InfoObject(Napi::Env env) {
  struct gz_xdp_info x;
  gz_xdp_get_info(&x);
  Napi::Object o = Napi::Object::New(env);
  o.Set("active", x.active);
  o.Set("bifurcated", x.active && !x.take_all);
  o.Set("zeroCopy", x.zero_copy);
  o.Set("nativeMode", x.native);
  o.Set("programId", x.prog_id);
  o.Set("sockets", x.sockets);
  o.Set("ephemeralLo", x.ephemeral_lo);
  o.Set("ephemeralHi", x.ephemeral_hi);
  return o;
}

// The environments (main thread, workers) whose end gives the stack's ports back: a
// process or worker that ends without stack.close() (its sockets are released at the
// next xdpPrepare, once the port is surely closed).
std::set<napi_env> hooked;

void StopAtEnvEnd(void *arg) {
  hooked.erase(static_cast<napi_env>(arg));
  gz_xdp_stop();
}

// Once the port is open: { ifname, ip, netmask, takeAll, ephemeralLo, ephemeralHi } -> info.
Napi::Value XdpStart(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object cfg = info[0].As<Napi::Object>();
  std::string ifname = cfg.Get("ifname").As<Napi::String>().Utf8Value();
  gz_xdp_params p{};
  p.ifname = ifname.c_str();
  p.ip = U32(cfg, "ip");
  p.netmask = U32(cfg, "netmask");
  p.take_all = cfg.Get("takeAll").As<Napi::Boolean>().Value();
  p.ephemeral_lo = (uint16_t)U32(cfg, "ephemeralLo");
  p.ephemeral_hi = (uint16_t)U32(cfg, "ephemeralHi");
  gz_error err{};
  if (gz_xdp_start(&p, &err) != 0) ThrowCoded(env, err);
  if (hooked.insert(env).second) napi_add_env_cleanup_hook(env, StopAtEnvEnd, static_cast<napi_env>(env));
  return InfoObject(env);
}

Napi::Value XdpStop(const Napi::CallbackInfo &info) {
  gz_xdp_stop();
  gz_xdp_release_sockets();
  return info.Env().Undefined();
}

Napi::Value XdpInfo(const Napi::CallbackInfo &info) { return InfoObject(info.Env()); }

Napi::Value XdpMaxMtu(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), gz_port_af_xdp_max_mtu());
}

}  // namespace

void InitXdp(Napi::Env env, Napi::Object exports) {
  exports.Set("xdpPrepare", Napi::Function::New(env, XdpPrepare));
  exports.Set("xdpLoadLog", Napi::Function::New(env, XdpLoadLog));
  exports.Set("xdpStart", Napi::Function::New(env, XdpStart));
  exports.Set("xdpStop", Napi::Function::New(env, XdpStop));
  exports.Set("xdpInfo", Napi::Function::New(env, XdpInfo));
  exports.Set("xdpMaxMtu", Napi::Function::New(env, XdpMaxMtu));
}

}  // namespace gz
