'use strict'
// Two network namespaces joined by one veth pair: the load generator runs in one, the
// server in the other. Names carry this process's pid; the namespaces (and the veth in
// them) are deleted when the run ends, however it ends.
const { execFileSync, spawn } = require('node:child_process')

function sh (cmd, args, timeoutMs = 10_000) {
  return execFileSync(cmd, args, { timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] }).toString()
}

const created = new Set()

function removeAll () {
  for (const ns of created) {
    try { sh('ip', ['netns', 'del', ns]) } catch {}
    created.delete(ns)
  }
}
process.once('exit', removeAll)
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    removeAll()
    process.exit(130)
  })
}

// { clientNs, serverNs, clientIf, serverIf, clientIp, serverIp, prefix, ip(ns, ...args),
//   ethtool(ns, iface, settings), run(ns, cmd, args) (a child process), close() }
function vethPair (subnet = '10.40.0') {
  const tag = `gzb-${process.pid}`
  const net = {
    clientNs: `${tag}-c`,
    serverNs: `${tag}-s`,
    clientIf: 'gzbc',
    serverIf: 'gzbs',
    clientIp: `${subnet}.1`,
    serverIp: `${subnet}.2`,
    prefix: 24,
    ip: (ns, ...args) => sh('ip', ['-n', ns, ...args]),
    exec: (ns, cmd, args, timeoutMs) => sh('ip', ['netns', 'exec', ns, cmd, ...args], timeoutMs),
    spawn: (ns, cmd, args) => spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
    close: () => {
      for (const ns of [net.clientNs, net.serverNs]) {
        try { sh('ip', ['netns', 'del', ns]) } catch {}
        created.delete(ns)
      }
    }
  }
  for (const ns of [net.clientNs, net.serverNs]) {
    try { sh('ip', ['netns', 'del', ns]) } catch {}
    sh('ip', ['netns', 'add', ns])
    created.add(ns)
    net.ip(ns, 'link', 'set', 'lo', 'up')
    // No IPv6 chatter (router solicitations, DAD) on the measured link.
    net.exec(ns, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'])
  }
  net.ip(net.clientNs, 'link', 'add', net.clientIf, 'type', 'veth', 'peer', 'name', net.serverIf, 'netns', net.serverNs)
  net.ip(net.clientNs, 'addr', 'add', `${net.clientIp}/${net.prefix}`, 'dev', net.clientIf)
  net.ip(net.clientNs, 'link', 'set', net.clientIf, 'up')
  net.ip(net.serverNs, 'link', 'set', net.serverIf, 'up')
  net.ethtool = (ns, iface, settings) => net.exec(ns, 'ethtool', ['-K', iface, ...settings])
  return net
}

module.exports = { vethPair }
