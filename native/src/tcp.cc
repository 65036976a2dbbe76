// TCP exports (tcp_sock.c), marshalled: every call answers a number, an id or a count
// >= 0, or -errno (-EBADF for every call once the stack is closed).
#include <cerrno>

#include "common.h"
#include "loop.h"

namespace gz {
namespace {

// A TCP call: -EBADF unless the stack is open in this env, else the core's answer.
template <long (*Op)(const Napi::CallbackInfo &)>
Napi::Value TcpOp(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), (double)(LoopOpen(info.Env()) ? Op(info) : -EBADF));
}

// tcpListen(ip, port, backlog) -> listener id
long Listen(const Napi::CallbackInfo &i) {
  return gz_tcp_listen(Arg(i, 0), (uint16_t)Arg(i, 1), (int)Arg(i, 2));
}

// tcpConnect(ip, port, localPort) -> socket id; Ev.Connected or Ev.Error follows
long Connect(const Napi::CallbackInfo &i) {
  int id = gz_tcp_connect(Arg(i, 0), (uint16_t)Arg(i, 1), (uint16_t)Arg(i, 2));
  if (id >= 0) Activity();
  return id;
}

long LocalPort(const Napi::CallbackInfo &i) { return gz_tcp_local_port(Arg(i, 0)); }

// A write's `last` argument: nothing more follows from this write() call now, so a
// chunk that opens a turn may leave at once (gz_stack_send_now).
bool Last(const Napi::CallbackInfo &info, size_t i) {
  return info.Length() > i && info[i].IsBoolean() && info[i].As<Napi::Boolean>().Value();
}

// Counts a write that took bytes, and sends it at once if it opened a turn.
void Written(const Napi::CallbackInfo &info, uint32_t id, bool opens_turn, size_t last_arg, long n) {
  Activity();
  if (opens_turn && Last(info, last_arg)) gz_stack_send_now(id, (size_t)n);
}

// tcpWrite(id, buf, offset, len, last) -> bytes the send buffer took
long Write(const Napi::CallbackInfo &info) {
  Napi::Buffer<uint8_t> buf = info[1].As<Napi::Buffer<uint8_t>>();
  size_t offset = Arg(info, 2), len = Arg(info, 3);
  if (offset > buf.Length() || len > buf.Length() - offset) len = 0;
  uint32_t id = (uint32_t)Arg(info, 0);
  bool opens_turn = gz_tcp_idle(id);
  long n = gz_tcp_write(id, buf.Data() + offset, len);
  if (n > 0) Written(info, id, opens_turn, 4, n);
  return n;
}

// tcpWriteString(id, string, latin1, last) -> bytes the send buffer took: all of the string's,
// or 0 when it does not fit now or is longer than kStringMax encoded (the caller writes it
// as a Buffer then), or -errno. What node:http writes, headers and a small body in one
// string, reaches the stack without a Buffer made for it in JS first (net.Socket's
// writeUtf8String does the same for a kernel socket).
constexpr size_t kStringMax = 16 * 1024;
long WriteString(const Napi::CallbackInfo &info) {
  static char buf[kStringMax];  // (only the thread of the env that owns the stack gets here)
  napi_env env = info.Env();
  bool latin1 = info[2].As<Napi::Boolean>().Value();
  size_t n = 0;
  napi_status st = latin1 ? napi_get_value_string_latin1(env, info[1], buf, sizeof buf, &n)
                          : napi_get_value_string_utf8(env, info[1], buf, sizeof buf, &n);
  if (st != napi_ok || n == 0 || n >= sizeof buf - 4) return 0;  // (maybe cut short)
  uint32_t id = (uint32_t)Arg(info, 0);
  long room = gz_tcp_room(id);
  if (room <= 0 || (size_t)room < n) return room < 0 ? room : 0;
  bool opens_turn = gz_tcp_idle(id);
  long done = gz_tcp_write(id, buf, n);  // one tcp_write: all or nothing
  if (done > 0) Written(info, id, opens_turn, 3, done);
  return done;
}

// shutdown, close, abort, pause, nodelay, keepalive: an op on an id, then a flush soon.
template <int (*Op)(const Napi::CallbackInfo &)>
long SocketOp(const Napi::CallbackInfo &info) {
  int rc = Op(info);
  Activity();
  return rc;
}

int Shutdown(const Napi::CallbackInfo &i) { return gz_tcp_shutdown(Arg(i, 0)); }
int Close(const Napi::CallbackInfo &i) {
  int rc = gz_tcp_close(Arg(i, 0));
  AfterTcpClose();
  return rc;
}
int Abort(const Napi::CallbackInfo &i) { return gz_tcp_abort(Arg(i, 0)); }
int Pause(const Napi::CallbackInfo &i) { return gz_tcp_pause(Arg(i, 0), i[1].As<Napi::Boolean>().Value()); }
int NoDelay(const Napi::CallbackInfo &i) {
  return gz_tcp_set_nodelay(Arg(i, 0), i[1].As<Napi::Boolean>().Value());
}
int KeepAlive(const Napi::CallbackInfo &i) {
  return gz_tcp_set_keepalive(Arg(i, 0), i[1].As<Napi::Boolean>().Value(), Arg(i, 2));
}

}  // namespace

void InitTcp(Napi::Env env, Napi::Object exports) {
  exports.Set("tcpListen", Napi::Function::New(env, TcpOp<Listen>));
  exports.Set("tcpConnect", Napi::Function::New(env, TcpOp<Connect>));
  exports.Set("tcpLocalPort", Napi::Function::New(env, TcpOp<LocalPort>));
  exports.Set("tcpWrite", Napi::Function::New(env, TcpOp<Write>));
  exports.Set("tcpWriteString", Napi::Function::New(env, TcpOp<WriteString>));
  exports.Set("tcpShutdown", Napi::Function::New(env, TcpOp<SocketOp<Shutdown>>));
  exports.Set("tcpClose", Napi::Function::New(env, TcpOp<SocketOp<Close>>));
  exports.Set("tcpAbort", Napi::Function::New(env, TcpOp<SocketOp<Abort>>));
  exports.Set("tcpPause", Napi::Function::New(env, TcpOp<SocketOp<Pause>>));
  exports.Set("tcpSetNoDelay", Napi::Function::New(env, TcpOp<SocketOp<NoDelay>>));
  exports.Set("tcpSetKeepAlive", Napi::Function::New(env, TcpOp<SocketOp<KeepAlive>>));
}

}  // namespace gz
