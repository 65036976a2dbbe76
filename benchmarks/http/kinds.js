'use strict'
// The servers `npm run bench -- http` compares, on the server end of one veth pair.
// A kind is:
//   label    the table's column
//   prepare  puts the link in the state this server runs with (it runs before every
//            measurement, since kinds alternate on the same veth): addresses, offloads
//   stack    the stack's options on that link: device, and poll if not the default
//            (kernel kinds: none; the server listens on the kernel's address instead)
//   register the same stack, opened by @gazelle/register (node --import) around the
//            unmodified app instead of by the app with the @gazelle/fastify plugin
// Adding a server kind is adding an entry here (and to DEFAULT_KINDS in suite.js if it
// should run by default).

const OFFLOADS = ['tx', 'tso', 'gso', 'gro']

function kernelAddress (net) {
  net.ip(net.serverNs, 'addr', 'replace', `${net.serverIp}/${net.prefix}`, 'dev', net.serverIf)
}

// The stack owns the address: the kernel on its end must neither answer ARP for it nor
// reset the stack's connections.
function noKernelAddress (net) {
  net.ip(net.serverNs, 'addr', 'flush', 'dev', net.serverIf)
}

function offloads (net, state) {
  const settings = OFFLOADS.flatMap((o) => [o, state])
  net.ethtool(net.clientNs, net.clientIf, settings)
  net.ethtool(net.serverNs, net.serverIf, settings)
}

function flushNeighbours (net) {
  net.ip(net.clientNs, 'neigh', 'flush', 'dev', net.clientIf)
}

const kinds = {
  kernel: {
    label: 'kernel (veth, offloads on)',
    prepare (net) {
      kernelAddress(net)
      offloads(net, 'on')
      flushNeighbours(net)
    }
  },
  'kernel-no-offloads': {
    label: 'kernel (veth, offloads off)',
    prepare (net) {
      kernelAddress(net)
      offloads(net, 'off')
      flushNeighbours(net)
    }
  },
  af_packet: {
    label: 'stack (af_packet)',
    // The client's kernel would send partial checksums and TSO super-frames, which a
    // packet socket passes on as they are: the client end computes and segments.
    prepare (net) {
      noKernelAddress(net)
      offloads(net, 'off')
      flushNeighbours(net)
    },
    stack: (net) => ({ device: { type: 'af_packet', iface: net.serverIf } })
  },
  // The same, sleeping on the packet socket between polls instead of spinning:
  // CPU per request like a kernel server's wake-ups, the stack's path otherwise.
  'af_packet-interrupt': {
    label: 'stack (af_packet, poll interrupt)',
    prepare (net) {
      kinds.af_packet.prepare(net)
    },
    stack: (net) => ({ device: { type: 'af_packet', iface: net.serverIf }, poll: 'interrupt' })
  },
  // AF_XDP with flow bifurcation: the kernel keeps its address on the same veth end (it
  // answers ARP and ping there); the XDP program hands the stack only its ports. The
  // client end computes checksums and segments, as for af_packet (AF_XDP passes frames
  // on as the sender wrote them). veth has no AF_XDP zero-copy: copy mode.
  af_xdp: {
    label: 'stack (af_xdp, copy mode)',
    prepare (net) {
      kernelAddress(net)
      offloads(net, 'off')
      flushNeighbours(net)
    },
    stack: (net) => ({ device: { type: 'af_xdp', iface: net.serverIf } })
  },
  'af_xdp-interrupt': {
    label: 'stack (af_xdp, poll interrupt)',
    prepare (net) {
      kinds.af_xdp.prepare(net)
    },
    stack: (net) => ({ device: { type: 'af_xdp', iface: net.serverIf }, poll: 'interrupt' })
  },
  // The stack of af_packet, with no plugin: the app as it is, under --import @gazelle/register
  // (routed sockets are net.Sockets over JSStream handles: the compatibility path).
  register: {
    label: 'register (af_packet, no plugin)',
    prepare (net) {
      kinds.af_packet.prepare(net)
    },
    stack: (net) => ({ device: { type: 'af_packet', iface: net.serverIf } }),
    register: true
  }
}

// How server.js is started for a kind: its arguments, and for a register kind node's
// --import and the stack in GAZELLE_* variables.
function serverLaunch (kind, net, port) {
  const cidr = `${net.serverIp}/${net.prefix}`
  if (!kind.register) {
    return { args: [String(port), cidr, kind.stack ? JSON.stringify(kind.stack(net)) : 'kernel'], nodeArgs: [], env: {} }
  }
  const stack = kind.stack(net)
  if (stack.device.type !== 'af_packet') throw new Error(`register kinds run on af_packet, not ${stack.device.type}`)
  return {
    args: [String(port), cidr, 'register'],
    nodeArgs: ['--import', '@gazelle/register'],
    env: { GAZELLE_DEVICE: `af_packet:${stack.device.iface}`, GAZELLE_IP: cidr, GAZELLE_POLL: stack.poll || process.env.GAZELLE_POLL || 'adaptive' }
  }
}

// Stops a server started with serverLaunch (if still running): 'exit' over IPC closes
// its stack, so its hugepages go back; SIGKILL after a minute.
async function stopServer (server) {
  if (!server || server.exitCode !== null || server.signalCode !== null) return
  const exited = new Promise((resolve) => server.once('exit', resolve))
  if (server.connected) server.send('exit')
  const timer = setTimeout(() => server.kill('SIGKILL'), 60_000)
  await exited
  clearTimeout(timer)
}

module.exports = { kinds, serverLaunch, stopServer }
