// TCP exports (tcp_sock.c): listen, connect, write and the socket ops, marshalled.
#include "common.h"
#include "loop.h"

namespace gz {
namespace {

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
  return Napi::Number::New(info.Env(), LoopOpen(info.Env()) ? gz_tcp_local_port(Arg(info, 0)) : -1);
}

Napi::Value TcpWrite(const Napi::CallbackInfo &info) {
  if (!LoopOpen(info.Env())) return Napi::Number::New(info.Env(), -1);
  Napi::Buffer<uint8_t> buf = info[1].As<Napi::Buffer<uint8_t>>();
  size_t offset = Arg(info, 2), len = Arg(info, 3);
  if (offset > buf.Length() || len > buf.Length() - offset) len = 0;
  long n = gz_tcp_write(Arg(info, 0), buf.Data() + offset, len);
  if (n > 0) Activity();
  return Napi::Number::New(info.Env(), (double)n);
}

// shutdown, close, abort, pause, nodelay, keepalive: an op on an id, then a flush soon.
template <int (*Op)(const Napi::CallbackInfo &)>
Napi::Value SocketOp(const Napi::CallbackInfo &info) {
  if (!LoopOpen(info.Env())) return Napi::Boolean::New(info.Env(), false);
  int rc = Op(info);
  Activity();
  return Napi::Boolean::New(info.Env(), rc == 0);
}

int OpShutdown(const Napi::CallbackInfo &i) { return gz_tcp_shutdown(Arg(i, 0)); }
int OpClose(const Napi::CallbackInfo &i) {
  int rc = gz_tcp_close(Arg(i, 0));
  AfterTcpClose();
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

}  // namespace

void InitTcp(Napi::Env env, Napi::Object exports) {
  exports.Set("tcpListen", Napi::Function::New(env, TcpListen));
  exports.Set("tcpConnect", Napi::Function::New(env, TcpConnect));
  exports.Set("tcpLocalPort", Napi::Function::New(env, TcpLocalPort));
  exports.Set("tcpWrite", Napi::Function::New(env, TcpWrite));
  exports.Set("tcpShutdown", Napi::Function::New(env, SocketOp<OpShutdown>));
  exports.Set("tcpClose", Napi::Function::New(env, SocketOp<OpClose>));
  exports.Set("tcpAbort", Napi::Function::New(env, SocketOp<OpAbort>));
  exports.Set("tcpPause", Napi::Function::New(env, SocketOp<OpPause>));
  exports.Set("tcpSetNoDelay", Napi::Function::New(env, SocketOp<OpNoDelay>));
  exports.Set("tcpSetKeepAlive", Napi::Function::New(env, SocketOp<OpKeepAlive>));
}

}  // namespace gz
