'use strict'
// The one thing that differs between the two sides of a benchmark: where sockets
// come from. 'kernel' is node:net over loopback; 'stack' is @gazelle/stack over memif;
// 'veth' (tcp-veth) is a kernel client in one network namespace and, in the other, the
// server GAZELLE_BENCH_VETH names: node:net, or a stack on the veth end (af_packet, af_xdp).
// Env for the memif stacks: GAZELLE_POLL, GAZELLE_SPIN_MICROS, GAZELLE_MTU (e.g. 65000),
// GAZELLE_CHECKSUMS=0 (no checksums on the link, both ends).
const dgram = require('node:dgram')
const net = require('node:net')

const MEMIF_SERVER_IP = '10.10.0.1'

function kernelSockets (host) {
  return {
    host,
    createServer: (fn) => net.createServer(fn),
    connect: (opts, cb) => net.connect(opts, cb),
    createSocket: (type, listener) => dgram.createSocket(type, listener),
    close: async () => {}
  }
}

async function openVeth (role) {
  const { host, cidr, stack: options } = JSON.parse(process.env.GAZELLE_BENCH_VETH)
  if (role === 'client' || !options) return kernelSockets(host)
  const { createStack } = require('@gazelle/stack')
  const stack = await createStack({ poll: process.env.GAZELLE_POLL || 'adaptive', ...options, ip: cidr, control: false })
  return {
    host,
    createServer: (fn) => stack.createServer(fn),
    close: () => stack.close(),
    stack
  }
}

async function open (transport, role, socketPath) {
  if (transport === 'veth') return openVeth(role)
  if (transport === 'kernel') return kernelSockets('127.0.0.1')
  // 'stack-jumbo': memif as loopback is configured: 64 KiB frames, no checksums
  const jumbo = transport === 'stack-jumbo'
  const { createStack } = require('@gazelle/stack')
  const stack = await createStack({
    device: { type: 'memif', role, socket: socketPath, checksums: !jumbo && process.env.GAZELLE_CHECKSUMS !== '0' },
    ip: role === 'server' ? `${MEMIF_SERVER_IP}/24` : '10.10.0.2/24',
    poll: process.env.GAZELLE_POLL || 'adaptive',
    ...(process.env.GAZELLE_SPIN_MICROS ? { spinMicros: Number(process.env.GAZELLE_SPIN_MICROS) } : {}),
    ...(jumbo ? { mtu: 65000 } : process.env.GAZELLE_MTU ? { mtu: Number(process.env.GAZELLE_MTU) } : {})
  })
  return {
    host: MEMIF_SERVER_IP,
    createServer: (fn) => stack.createServer(fn),
    connect: (opts, cb) => stack.connect(opts, cb),
    createSocket: (type, listener) => stack.createSocket(type, listener),
    close: () => stack.close(),
    stats: () => stack.stats(),
    stack
  }
}

module.exports = { open }
