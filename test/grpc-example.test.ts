// examples/grpc-greeter run as a user would: the server on a tap device (inside a network
// namespace made for the test) answers a kernel grpc-js client, and on memif answers a
// client on a second stack; SIGINT stops it cleanly.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import * as path from 'node:path'
import { cleanup, createNetns, execIn, memifSocket } from './helpers/cleanup'
import { needStack, REPO, waitFor } from './helpers/harness'

cleanup.hook(t)
const SERVER = path.join(REPO, 'examples/grpc-greeter/server.js')
const CLIENT = path.join(REPO, 'examples/grpc-greeter/client.js')

type T = Test

function startServer(t: T, netns: string | undefined, env: NodeJS.ProcessEnv) {
  const [file, args] = netns ? ['ip', ['netns', 'exec', netns, process.execPath, SERVER]] : [process.execPath, [SERVER]]
  const child = spawn(file, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  cleanup.child(child)
  const state = { out: '' }
  child.stdout.on('data', (d) => (state.out += d))
  child.stderr.on('data', (d) => (state.out += d))
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
    cleanup.releasePid(child.pid!)
  })
  const stop = async () => {
    child.kill('SIGINT')
    return Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 10_000).unref())])
  }
  return { state, stop }
}

t.test('grpc greeter on a tap device, called by a kernel client', needStack(), async (t) => {
  const netns = createNetns(t)
  const server = startServer(t, netns, { GAZELLE_TAP: 'gzg0' })
  await waitFor(() => /^try: node /m.test(server.state.out), 30_000, `the server's "try:" line (output: ${server.state.out})`)
  t.match(server.state.out, /greeter on 10\.21\.0\.2:50051 \(tap\)/, 'says where it serves')
  const r = await execIn(netns, process.execPath, [CLIENT, '--name', 'tap'], 20_000)
  t.equal(r.code, 0, `the client exits 0 ${r.stderr}`)
  t.match(r.stdout, /^Hello tap \(from 10\.21\.0\.1:\d+\)$/m, `the greeting names the kernel's address: ${r.stdout.trim()}`)
  t.same(await server.stop(), { code: 0, signal: null }, `exits 0 on SIGINT (output: ${server.state.out})`)
  const link = await execIn(netns, 'ip', ['link', 'show', 'dev', 'gzg0'], 5000)
  t.not(link.code, 0, 'gzg0 is gone')
})

t.test('grpc greeter on memif, called by a client on its own stack', needStack(), async (t) => {
  const socket = memifSocket()
  const server = startServer(t, undefined, { GAZELLE_DEVICE: 'memif', GAZELLE_MEMIF_SOCKET: socket })
  await waitFor(() => /^try: node /m.test(server.state.out), 30_000, `the server's "try:" line (output: ${server.state.out})`)
  t.match(server.state.out, /greeter on 10\.10\.0\.1:50051 \(memif\)/, 'says where it serves')
  // The "try:" line, run as printed (from the repository): the client on its own stack.
  const tryArgs = /^try: node (.*)$/m.exec(server.state.out)![1].trim().split(/\s+/)
  t.same(tryArgs, ['examples/grpc-greeter/client.js', '10.10.0.1:50051', '--memif', socket], 'the "try:" line names the socket')
  const r = await execIn(undefined, process.execPath, [path.join(REPO, tryArgs[0]), ...tryArgs.slice(1), '--name', 'memif'], 30_000)
  t.equal(r.code, 0, `the client exits 0 ${r.stderr}`)
  t.match(r.stdout, /^Hello memif \(from 10\.10\.0\.2:\d+\)$/m, `the greeting names the client stack's address: ${r.stdout.trim()}`)
  t.same(await server.stop(), { code: 0, signal: null }, 'exits 0 on SIGINT')
})
