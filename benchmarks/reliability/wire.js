'use strict'
// The lossy wire of the reliability benchmarks (and of test/helpers/lossy-wire.ts):
// two endpoints in namespaces of their own, joined through fault-relay, which runs in a
// third namespace and loses, duplicates, reorders and corrupts frames (this kernel has
// no netem):
//
//   ns A: ea 10.99.0.1 <-veth-> wa [ns W: fault-relay wa wb] wb <-veth-> eb 10.99.0.2 :ns B
//
// A kernel endpoint has its address on the veth end; a stack attaches to it with
// net_af_packet. Offloads are off on every end: the relay moves frames as they are.
const { execFileSync, spawn } = require('node:child_process')
const path = require('node:path')

const RELAY = path.join(__dirname, '..', '..', 'native', 'build', 'Release', 'fault-relay')
const ENDS = {
  a: { dev: 'ea', peer: 'wa', ip: '10.99.0.1' },
  b: { dev: 'eb', peer: 'wb', ip: '10.99.0.2' }
}

function ip (args) {
  execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 })
}

function inNs (ns, cmd, args) {
  execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 })
}

function quietLink (ns, dev) {
  ip(['-n', ns, 'link', 'set', dev, 'up'])
  inNs(ns, 'ethtool', ['-K', dev, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off'])
}

/** Joins namespaces a and b (made by the caller, lo up) through namespace w. */
function buildWire ({ w, a, b }) {
  for (const [ns, end] of [[a, ENDS.a], [b, ENDS.b]]) {
    ip(['-n', w, 'link', 'add', end.peer, 'type', 'veth', 'peer', 'name', end.dev, 'netns', ns])
    quietLink(w, end.peer)
    quietLink(ns, end.dev)
  }
  for (const ns of [w, a, b]) inNs(ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1'])
}

/** Joins namespaces a and b with a plain veth pair (ea, eb): no relay, no faults. */
function directWire ({ a, b }) {
  ip(['-n', a, 'link', 'add', ENDS.a.dev, 'type', 'veth', 'peer', 'name', ENDS.b.dev, 'netns', b])
  quietLink(a, ENDS.a.dev)
  quietLink(b, ENDS.b.dev)
  for (const ns of [a, b]) inNs(ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1'])
}

/** Namespaces a and b (from ns, a Namespaces) joined by a plain veth pair; for `kind`
 * 'kernel' both ends get their addresses (a stack end attaches to its veth end). */
function directPair (ns, kind) {
  const names = ns.make(['a', 'b'])
  directWire(names)
  if (kind === 'kernel') for (const side of ['a', 'b']) kernelEnd(names[side], side)
  return names
}

/** Starts fault-relay in w with fault options like ['--loss', '3%']. */
function startRelay (w, faults) {
  return spawn('ip', ['netns', 'exec', w, RELAY, ENDS.a.peer, ENDS.b.peer, ...faults], { stdio: ['ignore', 'pipe', 'pipe'] })
}

/** The relay's counters per direction (it prints them on SIGUSR1). */
function relayCounters (relay, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    let out = ''
    const onData = (d) => {
      out += d.toString()
      const lines = out.split('\n').filter((l) => l.startsWith('{"dir"'))
      if (lines.length >= 2) {
        clearTimeout(timer)
        relay.stdout.off('data', onData)
        resolve(lines.slice(0, 2).map((l) => JSON.parse(l)))
      }
    }
    const timer = setTimeout(() => {
      relay.stdout.off('data', onData)
      reject(new Error(`fault-relay printed no counters: ${out}`))
    }, timeoutMs)
    relay.stdout.on('data', onData)
    relay.kill('SIGUSR1')
  })
}

/** A kernel endpoint: the address on its veth end. */
function kernelEnd (ns, side) {
  ip(['-n', ns, 'addr', 'add', `${ENDS[side].ip}/24`, 'dev', ENDS[side].dev])
}

/** createStack options for a stack endpoint. */
function stackOptions (side) {
  return { device: { type: 'af_packet', iface: ENDS[side].dev }, ip: `${ENDS[side].ip}/24` }
}

module.exports = { RELAY, ENDS, buildWire, directWire, directPair, startRelay, relayCounters, kernelEnd, stackOptions }
