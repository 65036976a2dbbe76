// A process whose stack lives in a worker thread (worker_threads), for
// test/worker-threads.test.ts. Prints one JSON line with what happened and exits 0,
// unless the process dies (the bug this guards against: a SIGSEGV at the worker's exit).
//
//   node worker-stack.mjs use '{"socket", "ip", "peer", "port", "mainSocket"}'
//     the worker opens a memif client stack, echoes a message through the peer's server,
//     closes its stack and exits; meanwhile the main thread's createStack is refused;
//     then the main thread opens a stack of its own (a memif server on mainSocket).
//   node worker-stack.mjs exit-open|terminate-open '{"socket", "ip", "mainSocket"}'
//     the worker opens a stack and a listening server, then process.exit() in the worker
//     (or worker.terminate() from the main thread) with the stack open; then the main
//     thread opens a stack of its own.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { once } from 'node:events'

const OPEN_TIMEOUT_MS = 20_000

function stackOptions(socket, role, ip) {
  return { device: { type: 'memif', role, socket }, ip, control: false }
}

async function inWorker() {
  const { createStack } = await import('@gazelle/stack')
  const { scenario, cfg } = workerData
  const role = scenario === 'use' ? 'client' : 'server'
  const stack = await createStack(stackOptions(cfg.socket, role, cfg.ip))
  if (scenario === 'use') {
    const sock = stack.connect({ host: cfg.peer, port: cfg.port })
    await once(sock, 'connect')
    sock.end('hello from a worker')
    const chunks = []
    for await (const c of sock) chunks.push(c)
    parentPort.postMessage({ type: 'open', echoed: Buffer.concat(chunks).toString() })
    await once(parentPort, 'message') // the main thread has tried its createStack
    await stack.close()
    parentPort.postMessage({ type: 'closed' })
    return
  }
  const server = stack.createServer(() => {})
  await new Promise((resolve) => server.listen(8080, resolve))
  parentPort.postMessage({ type: 'open', listening: server.listening })
  if (scenario === 'exit-open') {
    await once(parentPort, 'message')
    process.exit(0) // ends this thread only, its stack open
  }
  // terminate-open: the main thread terminates this thread; the server keeps it alive
}

async function main() {
  const [scenario, json] = process.argv.slice(2)
  const cfg = JSON.parse(json)
  const out = { scenario }
  const worker = new Worker(new URL(import.meta.url), { workerData: { scenario, cfg } })
  const exited = once(worker, 'exit')
  worker.on('error', (e) => (out.workerError = { code: e.code, message: e.message }))
  let timer
  const [opened] = await Promise.race([
    once(worker, 'message'),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('the worker did not open its stack')), OPEN_TIMEOUT_MS)
    }),
  ]).finally(() => clearTimeout(timer))
  out.worker = opened
  const { createStack } = await import('@gazelle/stack')
  // A second stack while the worker's is open: refused, with the code that says why.
  try {
    const s = await createStack(stackOptions(cfg.mainSocket, 'server', '10.99.0.1/24'))
    out.secondStack = { opened: true }
    await s.close()
  } catch (e) {
    out.secondStack = { code: e.code, message: e.message }
  }
  if (scenario === 'terminate-open') await worker.terminate()
  else worker.postMessage('go')
  const [code] = await exited
  out.workerExit = code
  // The process's one stack is free again: this thread opens one and uses its device.
  const stack = await createStack(stackOptions(cfg.mainSocket, 'server', '10.99.0.1/24'))
  const server = stack.createServer()
  await new Promise((resolve) => server.listen(8081, resolve))
  out.mainStack = { ip: stack.ip, listening: server.listening }
  await stack.close()
  process.stdout.write(`${JSON.stringify(out)}\n`)
}

if (isMainThread) {
  main().catch((e) => {
    console.error(e)
    process.exit(1)
  })
} else {
  inWorker().catch((e) => {
    console.error('worker:', e)
    process.exit(3)
  })
}
