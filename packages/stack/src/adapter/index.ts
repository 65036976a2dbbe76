// What adapters (Fastify, undici, grpc-js, the register hooks) do with a stack, once.
export { isStack, assertStack, notAStack } from './is-stack'
export { routeMatcher, parseRoute, ROUTE_EXPECTED } from './routes'
export type { RouteMatcher, RouteRule } from './routes'
export { connectOnStack } from './connect'
export type { ConnectOnStackOptions } from './connect'
export { listenOnStack, listenHostKind, isLoopbackHost } from './listen'
export type { ListenHostKind } from './listen'
export { exposePeer, withPeerAddress, peerAddressSupported, isStackSocket, wrappedStackSocket } from './peer'
