// The node-addon-api module: registers the exports of each file. The binding only
// marshals JS arguments into the C core (gazelle.h); see native/README.md for the map.
#include "common.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  gz::InitLifecycle(env, exports);
  gz::InitTcp(env, exports);
  gz::InitUdp(env, exports);
  gz::InitOps(env, exports);
  gz::InitConstants(env, exports);
  gz::InitXdp(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(gazelle, Init)
