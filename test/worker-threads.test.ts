// A stack in a worker thread: it works, closes with the worker (even one that exits, or
// is terminated, with its stack open), and the process can then open another stack; a
// second stack while one is open in another thread is ERR_GAZELLE_STACK_OPEN. The
// process never crashes (it used to SIGSEGV when a worker that had a stack exited: the
// addon's libuv handles stayed on the worker's closed loop).
import { spawn } from 'node:child_process'
import * as path from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { cleanup, dpdkFilesOf, memifSocket } from './helpers/cleanup'
import { REPO, StackProcess, needStack } from './helpers/harness'

cleanup.hook(t)

const SCRIPT = path.join(__dirname, 'helpers', 'worker-stack.mjs')

interface Outcome {
  code: number | null
  signal: string | null
  result: any
  output: string
  pid: number
}

function runScenario(scenario: string, cfg: object): Promise<Outcome> {
  const child = spawn(process.execPath, [SCRIPT, scenario, JSON.stringify(cfg)], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  })
  cleanup.child(child)
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      const line = output.split('\n').find((l) => l.startsWith('{'))
      resolve({ code, signal, result: line ? JSON.parse(line) : null, output, pid: child.pid! })
    })
  })
}

function checkExit(t: Test, o: Outcome): void {
  t.equal(o.signal, null, 'the process was not killed by a signal')
  t.equal(o.code, 0, `the process exits 0\n${o.code === 0 ? '' : o.output}`)
  t.same(dpdkFilesOf(o.pid), [], "EAL's files are gone: it was cleaned up once, at the process's exit")
  cleanup.releasePid(o.pid)
}

t.test('a worker creates, uses and closes a stack; then the main thread opens one', needStack(), async (t) => {
  const socket = memifSocket()
  const peer = await StackProcess.start(t, { name: 'memif-server' })
  await peer.createStack({ device: { type: 'memif', role: 'server', socket }, ip: '10.31.0.1/24' })
  const { port } = await peer.call('listen', { mode: 'echo' })
  const o = await runScenario('use', { socket, ip: '10.31.0.2/24', peer: '10.31.0.1', port, mainSocket: memifSocket() })
  checkExit(t, o)
  t.equal(o.result?.worker?.echoed, 'hello from a worker', "the worker's stack carried a connection")
  t.equal(o.result?.secondStack?.code, 'ERR_GAZELLE_STACK_OPEN', 'a stack in the main thread meanwhile is refused')
  t.match(o.result?.secondStack?.message, /another thread/)
  t.equal(o.result?.workerExit, 0, 'the worker exits 0')
  t.same(o.result?.mainStack, { ip: '10.99.0.1', listening: true }, 'then the main thread has a stack of its own')
})

for (const scenario of ['exit-open', 'terminate-open']) {
  const how = scenario === 'exit-open' ? 'process.exit() in the worker' : 'worker.terminate()'
  t.test(`a worker that ends (${how}) with its stack open: the stack closes with it`, needStack(), async (t) => {
    const o = await runScenario(scenario, { socket: memifSocket(), ip: '10.32.0.1/24', mainSocket: memifSocket() })
    checkExit(t, o)
    t.equal(o.result?.worker?.listening, true, 'the worker had a listening server')
    t.equal(o.result?.secondStack?.code, 'ERR_GAZELLE_STACK_OPEN', 'a stack in the main thread meanwhile is refused')
    t.equal(o.result?.workerExit, scenario === 'exit-open' ? 0 : 1, 'the worker ended')
    t.same(o.result?.mainStack, { ip: '10.99.0.1', listening: true }, 'then the main thread opens a stack')
  })
}
