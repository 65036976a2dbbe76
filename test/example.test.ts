// The main job (`npm start` = examples/fastify-hello/main.js, a Fastify app on the stack), run as a user would, inside a
// network namespace of its own so its gz0 never meets a real one: it prints the curl
// line, curl gets answers, and Ctrl-C (SIGINT) stops it cleanly and removes gz0.
import t from 'tap'
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { cleanup, createNetns, execIn } from './helpers/cleanup'
import { needStack, REPO, waitFor } from './helpers/harness'

cleanup.hook(t)
const curl = ['-sS', '--noproxy', '*', '--max-time', '10']

t.test('npm start: the Fastify example answers curl through the tap and stops on SIGINT', needStack(), async (t) => {
  const netns = createNetns(t)
  const main = path.join(REPO, 'examples/fastify-hello/main.js')
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, main], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  cleanup.child(child)
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
    cleanup.releasePid(child.pid!)
  })

  const line: RegExpExecArray = await waitFor(() => /^try: (curl http:\/\/[\d.]+:\d+\/)$/m.exec(out), 30_000, `the curl line (output so far: ${out})`)
  t.equal(line[1], 'curl http://10.20.0.2:7000/', 'prints the curl line to reach it')

  const get = await execIn(netns, 'curl', [...curl, 'http://10.20.0.2:7000/'])
  t.equal(get.code, 0, `curl exits 0 ${get.stderr}`)
  const hello = JSON.parse(get.stdout)
  t.equal(hello.hello, 'world', `answer: ${get.stdout.trim()}`)
  t.match(hello.from, /^10\.20\.0\.1:\d+$/, 'Fastify sees the kernel side of the tap as the client (request.ip)')
  t.equal(hello.to, '10.20.0.2:7000', 'served on the stack\'s address')
  const post = await execIn(netns, 'curl', [...curl, '-H', 'content-type: application/octet-stream', '--data-binary', '@package.json', 'http://10.20.0.2:7000/echo'], 20_000)
  const pkg = fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')
  t.equal(post.stdout, pkg, 'POST echoes the body back')
  const listening = await execIn(netns, 'ss', ['-Hltn'], 5000)
  t.equal(listening.stdout.trim(), '', 'no kernel socket listens: the stack serves it')

  child.kill('SIGINT')
  const bounded = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 10_000).unref())])
  t.same(bounded, { code: 0, signal: null }, `exits 0 within 10 s of SIGINT (output: ${out})`)
  t.match(out, /stopped after 2 request\(s\)/, 'says what it did')
  const link = await execIn(netns, 'ip', ['link', 'show', 'dev', 'gz0'], 5000)
  t.not(link.code, 0, 'gz0 is gone')
})
