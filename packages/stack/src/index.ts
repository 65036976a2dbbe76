// @gazelle/stack: a user-mode TCP/IP stack (DPDK + LwIP) with a node:net-shaped API.
export { createStack, Stack } from './stack'
export type { ConnectOptions } from './stack'
export { Server } from './server'
export type { ServerOptions, ListenOptions, DropInfo } from './server'
export { Socket } from './socket'
export type { SocketOptions, AddressInfo, RemoteAddress } from './socket'
export type {
  StackOptions, DeviceOptions, DeviceType, PollModeName,
  MemifDeviceOptions, TapDeviceOptions, AfPacketDeviceOptions, PciDeviceOptions,
} from './options'
export { GazelleError, codes, nodeCodes, systemError } from './errors'
export type { GazelleErrorCode, NodeErrorCode, SystemError } from './errors'
export { parseIPv4, formatIPv4, isIPv4, parseCidr, prefixToNetmask } from './ip'
export type { Cidr } from './ip'
export { invalidOption } from './validate'
export { UdpSocket } from './udp-socket'
export type { RemoteInfo, BindOptions } from './udp-socket'
export type { UdpSocketOptions, SocketType, SendCallback } from './udp-args'
export type { UdpCounters } from './native'
