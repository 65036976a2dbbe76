// Exports for operators (gazellectl, metrics): latency histograms, the list of TCP
// connections, pcap capture and the peer credentials of a control-socket client.
// An env that does not hold the stack (another thread's) sees it closed: empty lists,
// zero counters, -EBADF.
#include <cerrno>

#include "common.h"
#include "loop.h"

namespace gz {
namespace {

const char *kStageNames[GZ_LAT_STAGES] = {"rxToJs", "jsBatch", "writeToTx"};

Napi::Value StackLatency(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  static const gz_lat_hist none{};
  bool open = LoopOpen(env);
  for (int s = 0; s < GZ_LAT_STAGES; s++) {
    const gz_lat_hist *h = open ? gz_lat_get(s) : &none;
    Napi::Object o = Napi::Object::New(env);
    o.Set("count", (double)h->count);
    o.Set("sumNs", (double)h->sum_ns);
    o.Set("maxNs", (double)h->max_ns);
    Napi::Array b = Napi::Array::New(env, GZ_LAT_BUCKETS);
    for (uint32_t i = 0; i < GZ_LAT_BUCKETS; i++) b.Set(i, (double)h->buckets[i]);
    o.Set("buckets", b);
    out.Set(kStageNames[s], o);
  }
  return out;
}

Napi::Value StackLatencyReset(const Napi::CallbackInfo &info) {
  if (LoopOpen(info.Env())) gz_lat_reset();
  return info.Env().Undefined();
}

const char *kStates[] = {"CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
                         "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",  "LAST_ACK", "TIME_WAIT"};

Napi::Value TcpList(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  struct Ctx {
    Napi::Env env;
    Napi::Array out;
    uint32_t n;
  } ctx{env, Napi::Array::New(env), 0};
  if (!LoopOpen(env)) return ctx.out;
  gz_tcp_list(
      [](void *p, const gz_conn_info *c) {
        Ctx &x = *static_cast<Ctx *>(p);
        const struct gz_tcp_info &t = c->tcp;
        Napi::Object o = Napi::Object::New(x.env);
        o.Set("id", c->id);
        o.Set("state", kStates[t.state >= 0 && t.state < 11 ? t.state : 0]);
        o.Set("localIp", t.local_ip);
        o.Set("localPort", t.local_port);
        o.Set("remoteIp", t.remote_ip);
        o.Set("remotePort", t.remote_port);
        o.Set("sendWindow", t.snd_wnd);
        o.Set("receiveWindow", t.rcv_wnd);
        o.Set("cwnd", t.cwnd);
        o.Set("ssthresh", t.ssthresh);
        o.Set("mss", t.mss);
        o.Set("unackedBytes", t.unacked_bytes);
        o.Set("unsentBytes", t.unsent_bytes);
        o.Set("receivedNotAcked", t.unacked_rx);
        o.Set("rtoMillis", t.rto_ms);
        o.Set("retransmits", t.retransmits);
        o.Set("paused", t.paused);
        o.Set("ageMillis", c->age_ms);
        x.out.Set(x.n++, o);
      },
      &ctx);
  return ctx.out;
}

Napi::Value CaptureStart(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  double limit = info[0].As<Napi::Number>().DoubleValue();
  uint32_t snaplen = info[1].As<Napi::Number>().Uint32Value();
  uint32_t buffer = info[2].As<Napi::Number>().Uint32Value();
  return Napi::Number::New(env, LoopOpen(env) ? gz_capture_start(buffer, (uint64_t)limit, snaplen) : -EBADF);
}

Napi::Value CaptureStop(const Napi::CallbackInfo &info) {
  if (LoopOpen(info.Env())) gz_capture_stop();
  return info.Env().Undefined();
}

Napi::Value CaptureStatus(const Napi::CallbackInfo &info) {
  gz_capture_stats st{};
  if (LoopOpen(info.Env())) gz_capture_status(&st);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("on", st.on);
  o.Set("packets", (double)st.packets);
  o.Set("bytes", (double)st.bytes);
  o.Set("dropped", (double)st.dropped);
  o.Set("limit", (double)st.limit);
  o.Set("buffered", (double)st.buffered);
  return o;
}

// Returns the buffered pcap records (without the file header), emptying the buffer.
Napi::Value CaptureTake(const Napi::CallbackInfo &info) {
  gz_capture_stats st{};
  if (LoopOpen(info.Env())) gz_capture_status(&st);
  Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(info.Env(), st.buffered);
  size_t n = gz_capture_take(buf.Data(), st.buffered);
  return n == st.buffered ? buf : Napi::Buffer<uint8_t>::Copy(info.Env(), buf.Data(), n);
}

Napi::Value PeerCred(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int32_t pid;
  uint32_t uid, gid;
  int rc = gz_peer_cred(info[0].As<Napi::Number>().Int32Value(), &pid, &uid, &gid);
  if (rc != 0) return Napi::Number::New(env, rc);
  Napi::Object o = Napi::Object::New(env);
  o.Set("pid", pid);
  o.Set("uid", uid);
  o.Set("gid", gid);
  return o;
}

// DPDK's captured log lines (dpdk_log.c), oldest first: { lines: [[level, text]...], dropped }.
// Process-wide: EAL's lines come before any stack exists.
Napi::Value DpdkLogTake(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  static gz_log_line lines[64];
  Napi::Array out = Napi::Array::New(env);
  uint64_t dropped = 0, total_dropped = 0;
  size_t n, k = 0;
  do {
    n = gz_dpdk_log_take(lines, 64, &dropped);
    total_dropped += dropped;
    for (size_t i = 0; i < n; i++) {
      Napi::Array l = Napi::Array::New(env, 2);
      l.Set(0u, lines[i].level);
      l.Set(1u, Napi::String::New(env, lines[i].text));
      out.Set(k++, l);
    }
  } while (n == 64);
  Napi::Object r = Napi::Object::New(env);
  r.Set("lines", out);
  r.Set("dropped", (double)total_dropped);
  return r;
}

}  // namespace

void InitOps(Napi::Env env, Napi::Object exports) {
  exports.Set("stackLatency", Napi::Function::New(env, StackLatency));
  exports.Set("stackLatencyReset", Napi::Function::New(env, StackLatencyReset));
  exports.Set("tcpList", Napi::Function::New(env, TcpList));
  exports.Set("captureStart", Napi::Function::New(env, CaptureStart));
  exports.Set("captureStop", Napi::Function::New(env, CaptureStop));
  exports.Set("captureStatus", Napi::Function::New(env, CaptureStatus));
  exports.Set("captureTake", Napi::Function::New(env, CaptureTake));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred));
  exports.Set("dpdkLogTake", Napi::Function::New(env, DpdkLogTake));
}

}  // namespace gz
