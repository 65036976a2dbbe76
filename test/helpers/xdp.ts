// Helpers of the af_xdp tests: two network namespaces joined by a veth pair (the
// "client" side with kernel programs, the "server" side where a stack shares the
// interface with the kernel), and XDP fixture programs compiled with clang.
import { execFileSync } from 'node:child_process'
import * as os from 'node:os'
import * as path from 'node:path'
import { cleanup, createNetns, execIn, run } from './cleanup'

type T = { teardown(fn: () => unknown): void }

export const CLIENT_IP = '10.31.0.1'
export const SERVER_IP = '10.31.0.2'

/** Runs `ip -n netns ...`; throws with ip's words on failure. */
export function ipIn(netns: string, args: string[]): void {
  const r = run('ip', ['-n', netns, ...args])
  if (!r.ok) throw new Error(`ip -n ${netns} ${args.join(' ')} failed: ${r.out}`)
}

/**
 * cli (CLIENT_IP on gzcli) <-veth-> srv (SERVER_IP on gzsrv), both up. The client end
 * sends complete checksums: a veth hands AF_XDP what the sender wrote, and a kernel
 * sender leaves TCP/UDP checksums to an offload that never runs (ARCHITECTURE.md).
 */
export async function xdpLink(t: T, opts: { mtu?: number } = {}): Promise<{ cli: string; srv: string }> {
  const cli = createNetns(t)
  const srv = createNetns(t)
  // Names are per namespace: both namespaces are new, so fixed names cannot clash.
  ipIn(cli, ['link', 'add', 'gzcli', 'type', 'veth', 'peer', 'name', 'gzsrv', 'netns', srv])
  ipIn(cli, ['addr', 'add', `${CLIENT_IP}/24`, 'dev', 'gzcli'])
  ipIn(srv, ['addr', 'add', `${SERVER_IP}/24`, 'dev', 'gzsrv'])
  if (opts.mtu) {
    ipIn(cli, ['link', 'set', 'gzcli', 'mtu', String(opts.mtu)])
    ipIn(srv, ['link', 'set', 'gzsrv', 'mtu', String(opts.mtu)])
  }
  ipIn(cli, ['link', 'set', 'gzcli', 'up'])
  ipIn(srv, ['link', 'set', 'gzsrv', 'up'])
  const r = await execIn(cli, 'ethtool', ['-K', 'gzcli', 'tx', 'off'], 5000)
  if (r.code !== 0) throw new Error(`ethtool -K gzcli tx off: ${r.stderr}`)
  return { cli, srv }
}

/** The XDP program attached to an interface ("" if none), as `ip link` shows it. */
export function xdpProgramOn(netns: string, iface: string): string {
  const r = run('ip', ['-n', netns, '-d', 'link', 'show', 'dev', iface])
  return /prog\/xdp id \d+ name (\S+)/.exec(r.out)?.[1] ?? ''
}

/** net.ipv4.ip_local_reserved_ports inside a namespace. */
export async function reservedPorts(netns: string): Promise<string> {
  const r = await execIn(netns, 'cat', ['/proc/sys/net/ipv4/ip_local_reserved_ports'], 5000)
  return r.stdout.trim()
}

/** Compiles test/fixtures/xdp/NAME.c into a temporary object file (removed at cleanup). */
export function xdpFixture(name: string): string {
  const src = path.join(__dirname, '..', 'fixtures', 'xdp', `${name}.c`)
  const out = path.join(os.tmpdir(), `gz-xdp-${process.pid}-${name}.o`)
  cleanup.files.add(out)
  const multiarch = execFileSync('gcc', ['-print-multiarch']).toString().trim()
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', `-I/usr/include/${multiarch}`, '-c', src, '-o', out])
  return out
}
