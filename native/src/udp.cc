// UDP exports (udp_sock.c), marshalled: every call answers a number >= 0 (or an object),
// or -errno (-EBADF for every call once the stack is closed).
#include <cerrno>
#include <vector>

#include "common.h"
#include "loop.h"

namespace gz {
namespace {

// A UDP call: -EBADF unless the stack is open in this env, else the core's answer.
template <long (*Op)(const Napi::CallbackInfo &)>
Napi::Value UdpOp(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), (double)(LoopOpen(info.Env()) ? Op(info) : -EBADF));
}

// udpOpen(reuseAddr) -> id of a new unbound socket
long OpUdpOpen(const Napi::CallbackInfo &i) { return gz_udp_open(i[0].As<Napi::Boolean>().Value()); }

long OpUdpBind(const Napi::CallbackInfo &i) { return gz_udp_bind(Arg(i, 0), Arg(i, 1), (uint16_t)Arg(i, 2)); }
long OpUdpConnect(const Napi::CallbackInfo &i) {
  return gz_udp_connect(Arg(i, 0), Arg(i, 1), (uint16_t)Arg(i, 2));
}
long OpUdpDisconnect(const Napi::CallbackInfo &i) { return gz_udp_disconnect(Arg(i, 0)); }
long OpUdpClose(const Napi::CallbackInfo &i) { return gz_udp_close(Arg(i, 0)); }
long OpUdpSetOption(const Napi::CallbackInfo &i) {
  return gz_udp_set_option(Arg(i, 0), (gz_udp_option)Arg(i, 1), Arg(i, 2));
}
long OpUdpGetOption(const Napi::CallbackInfo &i) {
  return gz_udp_get_option(Arg(i, 0), (gz_udp_option)Arg(i, 1));
}

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
  struct gz_udp_address a {};
  int rc = LoopOpen(env) ? gz_udp_address(Arg(info, 0), &a) : -EBADF;
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
  struct gz_udp_counters c {};
  int rc = LoopOpen(env) ? gz_udp_counters(Arg(info, 0), &c) : -EBADF;
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

}  // namespace

void InitUdp(Napi::Env env, Napi::Object exports) {
  exports.Set("udpOpen", Napi::Function::New(env, UdpOp<OpUdpOpen>));
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
}

}  // namespace gz
