'use strict'
// The servers `npm run bench -- http` compares, on the server end of one veth pair.
// A kind is:
//   label    the table's column
//   prepare  puts the link in the state this server runs with (it runs before every
//            measurement, since kinds alternate on the same veth): addresses, offloads
//   stack    the stack's options on that link: device, and poll if not the default
//            (kernel kinds: none; the server listens on the kernel's address instead)
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
  }
}

module.exports = { kinds }
