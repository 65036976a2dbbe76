// @gazelle/grpc: grpc-js servers and clients whose connections go through @gazelle/stack.
export { serveOnStack } from './server'
export type { ServeOnStackOptions, StackServing, InjectableServer, ConnectionInjector } from './server'
export { stackChannelOptions, channelMode } from './client'
export type { StackChannelOptionsOptions, StackClientOptions, ChannelMode } from './client'
export { CONNECT_OPTION, HOOK_RANGE } from './connector-hook'
export { peerAddressSupported } from '@gazelle/stack'
