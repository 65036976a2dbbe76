// Argument readers and the error helper shared by the binding's files.
#include "common.h"

namespace gz {

uint32_t Arg(const Napi::CallbackInfo &info, size_t i) { return info[i].As<Napi::Number>().Uint32Value(); }

uint32_t U32(const Napi::Object &o, const char *key) { return o.Get(key).As<Napi::Number>().Uint32Value(); }

void ThrowCoded(Napi::Env env, const char *code, const char *message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  throw e;
}

void ThrowCoded(Napi::Env env, const gz_error &err) { ThrowCoded(env, err.code, err.message); }

}  // namespace gz
