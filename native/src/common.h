// What the binding's files share: argument readers, the error helper, and the
// registration of each file's exports. The binding only marshals: validation lives
// in TypeScript (packages/stack), so these readers trust their input.
#ifndef GAZELLE_COMMON_H
#define GAZELLE_COMMON_H

#include <napi.h>

#include "gazelle.h"

namespace gz {

// The version of the exports' contract (names, arguments, results, constants):
// packages/stack/src/native.ts API_VERSION must match it. Raise both with any change.
constexpr int kApiVersion = 4;

// info[i] as an unsigned 32-bit integer.
uint32_t Arg(const Napi::CallbackInfo &info, size_t i);
// o[key] as an unsigned 32-bit integer.
uint32_t U32(const Napi::Object &o, const char *key);

// Throws an Error with .code (ERR_GAZELLE_*, or an errno name) and the message.
[[noreturn]] void ThrowCoded(Napi::Env env, const gz_error &err);
[[noreturn]] void ThrowCoded(Napi::Env env, const char *code, const char *message);

// Each file registers its own exports.
void InitLifecycle(Napi::Env env, Napi::Object exports);  // lifecycle.cc: stack*
void InitTcp(Napi::Env env, Napi::Object exports);        // tcp.cc: tcp*
void InitUdp(Napi::Env env, Napi::Object exports);        // udp.cc: udp*
void InitOps(Napi::Env env, Napi::Object exports);        // ops.cc: latency, conns, capture
void InitConstants(Napi::Env env, Napi::Object exports);  // constants.cc: apiVersion, constants
void InitXdp(Napi::Env env, Napi::Object exports);        // xdp.cc: the af_xdp device's host side

}  // namespace gz

#endif
