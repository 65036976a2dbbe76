// @gazelle/stack: a user-mode TCP/IP stack (DPDK + LwIP) with a node:net-shaped API.
export { createStack, Stack } from './stack'
export type { ConnectOptions } from './stack'
export { Server } from './server'
export type { ServerOptions, ListenOptions, DropInfo } from './server'
export { Socket, offerStreamHandle } from './socket'
export type { SocketOptions, AddressInfo, RemoteAddress } from './socket'
export type {
  StackOptions, DeviceOptions, DeviceType, PollModeName,
  MemifDeviceOptions, TapDeviceOptions, AfPacketDeviceOptions, PciDeviceOptions,
} from './options'
export { GazelleError, codes, nodeCodes, systemError } from './errors'
export type { GazelleErrorCode, NodeErrorCode, SystemError } from './errors'
export { parseIPv4, formatIPv4, isIPv4, parseCidr, prefixToNetmask } from './ip'
export type { Cidr } from './ip'
export { invalidOption, checkKeys, portOption, parsePort, closestName, unknownOption } from './validate'
// For adapters (and @gazelle/register): stack checks, routes, connect/listen-and-await, peer addresses
export {
  isStack, assertStack, notAStack, routeMatcher, parseRoute, connectOnStack, listenOnStack, listenHostKind,
  isLoopbackHost, exposePeer, withPeerAddress, peerAddressSupported, isStackSocket, wrappedStackSocket,
} from './adapter'
export type { RouteMatcher, RouteRule, ConnectOnStackOptions, ListenHostKind } from './adapter'
// How operators see a device (gazellectl, logs, metric labels): "tap:gz0"...
export { deviceLabel } from './device-label'
export { UdpSocket } from './udp-socket'
export type { RemoteInfo, BindOptions } from './udp-socket'
export type { UdpSocketOptions, SocketType, SendCallback } from './udp-args'
export type { UdpCounters } from './native'
export { parseFaultSpec, resolveFaults } from './faults'
export type { FaultOptions, FaultRates } from './faults'
// Operators: control socket protocol, logger, metrics
export { defaultControlDir, controlSocketPath, pidOfSocketName } from './control/paths'
export { LATENCY_STAGES } from './control/protocol'
export { findLeftovers, sweepLeftovers, dpdkRuntimeDir, processAlive } from './leftovers'
export type { Leftover, LeftoverDirs } from './leftovers'
export type {
  ControlRequest, ControlResponse, ControlCommand, InfoResult, StatsResult, ConnEntry, LatencyResult, CaptureStatus,
} from './control/protocol'
export type { Logger, LogLevel } from './log'
export { LOG_LEVELS } from './log'
export type { ControlOptions, OpsOptions } from './ops-options'
export type { LatencyStage, NativeHistogram } from './native'
