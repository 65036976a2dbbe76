// The contract's numbers, exported so @gazelle/stack checks its mirror of them when it
// loads the addon (packages/stack/src/binding.ts): the API version, the event types,
// the UDP options, the poll modes and the errno values the native calls return.
#include <cerrno>

#include "common.h"
#include "loop.h"

namespace gz {
namespace {

struct Named {
  const char *name;
  int64_t value;
};

template <size_t N>
Napi::Object Table(Napi::Env env, const Named (&entries)[N]) {
  Napi::Object o = Napi::Object::New(env);
  for (const Named &e : entries) o.Set(e.name, Napi::Number::New(env, (double)e.value));
  return o;
}

const Named kEvents[] = {
    {"Accept", GZ_EV_ACCEPT},
    {"Connected", GZ_EV_CONNECTED},
    {"Data", GZ_EV_DATA},
    {"Eof", GZ_EV_EOF},
    {"Writable", GZ_EV_WRITABLE},
    {"Error", GZ_EV_ERROR},
    {"UdpMessage", GZ_EV_UDP_MESSAGE},
    {"UdpWritable", GZ_EV_UDP_WRITABLE},
};

const Named kUdpOptions[] = {
    {"Broadcast", GZ_UDP_BROADCAST},
    {"Ttl", GZ_UDP_TTL},
    {"MulticastTtl", GZ_UDP_MULTICAST_TTL},
    {"MulticastLoop", GZ_UDP_MULTICAST_LOOP},
    {"MulticastInterface", GZ_UDP_MULTICAST_IF},
    {"RecvBuffer", GZ_UDP_RECV_BUFFER},
    {"SendBuffer", GZ_UDP_SEND_BUFFER},
};

const Named kPollModeNames[] = {{"Busy", kBusy}, {"Adaptive", kAdaptive}, {"Interrupt", kInterrupt}};

// The errno values the socket calls and Ev.Error carry (negated), by name: JS names them
// with node's table, which must agree.
const Named kErrno[] = {
    {"EACCES", EACCES},
    {"EADDRINUSE", EADDRINUSE},
    {"EADDRNOTAVAIL", EADDRNOTAVAIL},
    {"EAGAIN", EAGAIN},
    {"EBADF", EBADF},
    {"ECONNABORTED", ECONNABORTED},
    {"ECONNREFUSED", ECONNREFUSED},
    {"ECONNRESET", ECONNRESET},
    {"EINVAL", EINVAL},
    {"EIO", EIO},
    {"EMSGSIZE", EMSGSIZE},
    {"ENETUNREACH", ENETUNREACH},
    {"ENOBUFS", ENOBUFS},
    {"ENODEV", ENODEV},
    {"ENOMEM", ENOMEM},
    {"EPIPE", EPIPE},
    {"ETIMEDOUT", ETIMEDOUT},
};

}  // namespace

void InitConstants(Napi::Env env, Napi::Object exports) {
  exports.Set("apiVersion", Napi::Number::New(env, kApiVersion));
  Napi::Object c = Napi::Object::New(env);
  c.Set("Ev", Table(env, kEvents));
  c.Set("UdpOption", Table(env, kUdpOptions));
  c.Set("PollMode", Table(env, kPollModeNames));
  c.Set("errno", Table(env, kErrno));
  c.Set("eventSlots", Napi::Number::New(env, (double)kEventSlots));
  exports.Set("constants", c);
}

}  // namespace gz
