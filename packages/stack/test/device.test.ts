import { createServer } from 'node:net'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import t from 'tap'
import {
  checkHugepages, configureDevice, hugepageProblem, parseMeminfo, parseMounts, prepareDevice, releaseDevice,
} from '../src/device'
import { resolveOptions } from '../src/options'

const mounts = [
  'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
  'nodev /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0',
  'nodev /mnt/huge\\040pages hugetlbfs rw,relatime 0 0',
  '',
].join('\n')

const meminfo = (free: number) => [
  'MemTotal:       16384000 kB',
  'HugePages_Total:    1024',
  `HugePages_Free:     ${free}`,
  'Hugepagesize:       2048 kB',
].join('\n')

t.test('parseMounts decodes /proc/mounts', async (t) => {
  const m = parseMounts(mounts)
  t.equal(m.length, 3)
  t.same(m[1], { source: 'nodev', target: '/dev/hugepages', type: 'hugetlbfs' })
  t.equal(m[2].target, '/mnt/huge pages')
})

t.test('parseMeminfo', async (t) => {
  t.match(parseMeminfo(meminfo(12)), { MemTotal: 16384000, HugePages_Total: 1024, HugePages_Free: 12, Hugepagesize: 2048 })
})

t.test('hugepageProblem', async (t) => {
  t.equal(hugepageProblem(mounts, meminfo(1024), '/dev/hugepages', 8191), undefined)
  t.equal(hugepageProblem(mounts, meminfo(1024), '/mnt/huge pages', 8191), undefined)
  t.match(hugepageProblem('proc /proc proc rw 0 0\n', meminfo(1024), '/dev/hugepages', 8191),
    /^hugetlbfs is not mounted on \/dev\/hugepages$/)
  t.match(hugepageProblem(mounts, meminfo(1024), '/huge', 8191),
    /not mounted on \/huge \(hugetlbfs is mounted on \/dev\/hugepages, \/mnt\/huge pages/)
  t.match(hugepageProblem(mounts, meminfo(0), '/dev/hugepages', 8191), /no free hugepages \(HugePages_Total 1024\)/)
  t.match(hugepageProblem(mounts, meminfo(4), '/dev/hugepages', 8191), /8191 mbufs need at least 18 MiB of hugepages, 8 MiB are free/)
  t.match(hugepageProblem(mounts, 'MemTotal: 1 kB\n', '/dev/hugepages', 8191), /no free hugepages \(HugePages_Total 0\)/)
})

// Host checks on the real machine (Linux): only names and paths that cannot clash.

const missing = `gzno${process.pid % 100000}`
const dir = mkdtempSync(join(tmpdir(), 'gazelle-device-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const STACK_IP = 0x0a000001 // 10.0.0.1, beside hostIp 10.0.0.2/24

t.test('tap: an existing interface name is refused', async (t) => {
  await t.rejects(prepareDevice({ type: 'tap', name: 'lo', hostIp: '10.0.0.2/24' }, STACK_IP), {
    code: 'ERR_GAZELLE_DEVICE_EXISTS', message: /named "lo" already exists/,
  })
  await t.resolves(prepareDevice({ type: 'tap', name: missing, hostIp: '10.0.0.2/24' }, STACK_IP))
  releaseDevice({ type: 'tap', name: missing, hostIp: '10.0.0.2/24' })
})

t.test('tap: a name another process has claimed is refused, naming its pid', async (t) => {
  const name = `gzcl${process.pid % 100000}`
  const holder = spawn(process.execPath, ['-e',
    `require('net').createServer().listen('\\0gazelle/tap/${name}', () => console.log('ready')); setTimeout(() => {}, 30000)`],
  { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => holder.kill('SIGKILL'))
  await new Promise((resolve) => holder.stdout.once('data', resolve))
  await t.rejects(prepareDevice({ type: 'tap', name, hostIp: '10.0.0.2/24' }, STACK_IP), {
    code: 'ERR_GAZELLE_DEVICE_EXISTS',
    message: new RegExp(`the tap "${name}" is in use by gazelle process ${holder.pid} in this network namespace`),
  })
  holder.kill('SIGKILL')
  await new Promise((resolve) => holder.once('exit', resolve))
  await t.resolves(prepareDevice({ type: 'tap', name, hostIp: '10.0.0.2/24' }, STACK_IP), 'free once its holder died')
  releaseDevice({ type: 'tap', name, hostIp: '10.0.0.2/24' })
})

t.test('af_packet: the interface must exist', async (t) => {
  await t.resolves(prepareDevice({ type: 'af_packet', iface: 'lo' }, STACK_IP))
  await t.rejects(prepareDevice({ type: 'af_packet', iface: missing }, STACK_IP), { code: 'ERR_GAZELLE_DEVICE_NOT_FOUND' })
  await t.resolves(prepareDevice({ type: 'pci', address: '0000:00:04.0' }, STACK_IP))
  await t.resolves(prepareDevice({ type: 'memif', role: 'client', socket: join(dir, 'none.sock') }, STACK_IP))
})

t.test('memif server: directory made, stale socket removed, live one refused', async (t) => {
  const fresh = join(dir, 'sub', 'dir', 'a.sock')
  await t.rejects(prepareDevice({ type: 'memif', role: 'server', socket: fresh }, STACK_IP), {
    code: 'ERR_GAZELLE_INVALID_OPTION',
    message: new RegExp(`^options\\.device\\.socket must be a path in a directory that exists \\(${join(dir, 'sub', 'dir')} does not; the stack creates missing directories only under /run/gazelle\\)`),
  })
  t.notOk(existsSync(join(dir, 'sub')), 'no directory made outside /run/gazelle')
  if (process.getuid?.() === 0) {
    const ours = join('/run/gazelle', `test-dir-${process.pid}`)
    t.teardown(() => rmSync(ours, { recursive: true, force: true }))
    await prepareDevice({ type: 'memif', role: 'server', socket: join(ours, 'a.sock') }, STACK_IP)
    t.ok(existsSync(ours), 'under /run/gazelle the directory is made')
  }

  const file = join(dir, 'file.sock')
  writeFileSync(file, '')
  await t.rejects(prepareDevice({ type: 'memif', role: 'server', socket: file }, STACK_IP), {
    code: 'ERR_GAZELLE_INVALID_OPTION', message: /^options\.device\.socket must be a path that is free or a unix socket/,
  })

  const stale = join(dir, 'stale.sock')
  try {
    execFileSync(process.execPath, ['-e',
      `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`])
  } catch {
    // killed on purpose, leaving the socket file behind
  }
  t.ok(existsSync(stale), 'stale socket file left by a dead process')
  await prepareDevice({ type: 'memif', role: 'server', socket: stale }, STACK_IP)
  t.notOk(existsSync(stale), 'stale socket unlinked')

  const live = join(dir, 'live.sock')
  const server = createServer((c) => c.destroy())
  await new Promise<void>((resolve) => server.listen(live, resolve))
  await t.rejects(prepareDevice({ type: 'memif', role: 'server', socket: live }, STACK_IP), {
    code: 'ERR_GAZELLE_MEMIF_IN_USE', message: /another process is serving the memif socket/,
  })
  await new Promise((resolve) => server.close(resolve))
})

t.test('memif server: a live SOCK_SEQPACKET listener (what DPDK memif uses) is in use', async (t) => {
  const live = join(dir, 'seqpacket.sock')
  const py = 'import socket,sys,time\n' +
    's=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET); s.bind(sys.argv[1]); s.listen(1)\n' +
    'print("ready",flush=True); time.sleep(30)'
  const child = spawn('python3', ['-c', py, live], { stdio: ['ignore', 'pipe', 'ignore'] })
  const started = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false))
    child.stdout.once('data', () => resolve(true))
  })
  t.teardown(() => child.kill('SIGKILL'))
  if (!started) return t.skip('needs python3', () => {})
  await t.rejects(prepareDevice({ type: 'memif', role: 'server', socket: live }, STACK_IP), { code: 'ERR_GAZELLE_MEMIF_IN_USE' })
  t.ok(existsSync(live), 'the live socket is left alone')
})

t.test('checkHugepages', async (t) => {
  const base = { device: { type: 'af_packet', iface: 'lo' }, ip: '10.0.0.1/24' }
  t.doesNotThrow(() => checkHugepages(resolveOptions({ ...base, hugepages: false })))
  t.doesNotThrow(() => checkHugepages(resolveOptions({ ...base, eal: ['--no-huge'], hugepages: '/nowhere' })))
  t.throws(() => checkHugepages(resolveOptions({ ...base, hugepages: '/nowhere/gazelle' })), {
    code: 'ERR_GAZELLE_NO_HUGEPAGES',
    message: /^hugetlbfs is not mounted on \/nowhere\/gazelle.*: run `npm run setup` \(as root\)$/,
  })
})

t.test('configureDevice and releaseDevice', async (t) => {
  await t.resolves(configureDevice({ type: 'af_packet', iface: 'lo' }, STACK_IP))
  await t.rejects(configureDevice({ type: 'tap', name: missing, hostIp: '10.0.0.2/24' }, STACK_IP), {
    code: 'ERR_GAZELLE_DEVICE_SETUP', message: new RegExp(`^\`ip addr add 10.0.0.2/24 dev ${missing}\` failed: `),
  })
  t.doesNotThrow(() => releaseDevice({ type: 'af_packet', iface: 'lo' }))
  t.doesNotThrow(() => releaseDevice({ type: 'tap', name: missing, hostIp: '10.0.0.2/24' }))
})

t.test('releaseDevice deletes only a tap this process claimed', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const name = `gzrel${process.pid % 100000}`
  execFileSync('ip', ['tuntap', 'add', name, 'mode', 'tap'])
  t.teardown(() => execFileSync('ip', ['link', 'del', name], { stdio: 'ignore' }))
  releaseDevice({ type: 'tap', name, hostIp: '10.0.0.2/24' })
  t.ok(existsSync(`/sys/class/net/${name}`), 'a tap someone else made is left alone')
})
