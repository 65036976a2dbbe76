// Not root: the messages say "run as root" and what is missing, not DPDK's guess at
// hugepages, and DPDK's own lines stay out of the output. `npm start` says so before
// set-up runs anything (apt, npm).
import t from 'tap'
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { cleanup, createNetns, memifSocket, tapName } from './helpers/cleanup'
import { needStack, REPO } from './helpers/harness'

cleanup.hook(t)
const NOBODY = 65534

function run(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(file, args, { cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    cleanup.child(c)
    let out = ''
    c.stdout.on('data', (d) => (out += d))
    c.stderr.on('data', (d) => (out += d))
    const timer = setTimeout(() => c.kill('SIGKILL'), 60_000)
    c.once('exit', (code) => {
      clearTimeout(timer)
      if (c.pid) cleanup.releasePid(c.pid)
      resolve({ code, out })
    })
  })
}

// Loads the package as root (the checkout may be unreadable for others), then drops to
// nobody, as a service started by an unprivileged user would run, and creates a stack.
const script = (options: unknown) => `
  const { createStack } = require(${JSON.stringify(path.join(REPO, 'packages/stack'))})
  require('@gazelle/native')
  process.setgid(${NOBODY}); process.setuid(${NOBODY})
  createStack(${JSON.stringify(options)}).then(
    (s) => s.close().then(() => console.log(JSON.stringify({ ok: true }))),
    (e) => console.log(JSON.stringify({ ok: false, code: e.code, message: e.message })))`

t.test('createStack as a user that is not root', needStack(), async (t) => {
  const netns = createNetns(t)
  const cases = [
    { what: 'memif', options: { device: { type: 'memif', role: 'server', socket: memifSocket() }, ip: '10.10.8.1/24' },
      missing: /lacks write access to the hugetlbfs mount \/dev\/hugepages/ },
    { what: 'tap', options: { device: { type: 'tap', name: tapName(), hostIp: '10.20.8.1/24' }, ip: '10.20.8.2/24' },
      missing: /lacks write access to the hugetlbfs mount \/dev\/hugepages .* and CAP_NET_ADMIN \(to create the tap device/ },
  ]
  for (const c of cases) {
    await t.test(c.what, async (t) => {
      // (env -u: the test runner's hooks, injected through NODE_OPTIONS, cannot write as nobody)
      const r = await run('ip', ['netns', 'exec', netns, 'env', '-u', 'NODE_OPTIONS', process.execPath, '-e', script(c.options)])
      let result: { code?: string; message?: string } = {}
      try {
        result = JSON.parse(r.out.trim().split('\n').pop() ?? '{}')
      } catch {
        t.fail(`no result line: ${r.out}`)
      }
      t.equal(result.code, 'ERR_GAZELLE_PERMISSION', `typed error: ${result.message}`)
      t.match(result.message, /^this process \(uid 65534\) is not root and lacks /)
      t.match(result.message, c.missing, 'names what is missing')
      t.match(result.message, /: run it as root \(sudo\), or grant what is missing$/, 'says run as root')
      t.notMatch(result.message, /hugepages reserved and mounted\?/, 'no guess at hugepages')
      t.notMatch(r.out, /^EAL:/m, `no raw DPDK lines in the output: ${r.out}`)
    })
  }
})

t.test('npm start as a user that is not root says so before anything runs', async (t) => {
  // A copy of what npm start runs, readable by nobody wherever the checkout lives.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gazelle-start-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(dir, 'package.json'))
  fs.cpSync(path.join(REPO, 'scripts'), path.join(dir, 'scripts'), { recursive: true })
  fs.chmodSync(dir, 0o755)
  const home = path.join(dir, 'home')
  fs.mkdirSync(home)
  fs.chownSync(home, NOBODY, NOBODY)
  const r = await run('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'env', '-u', 'NODE_OPTIONS', 'npm', 'start', '--silent'],
    { cwd: dir, env: { HOME: home, npm_config_cache: path.join(home, '.npm'), npm_config_update_notifier: 'false' } })
  t.equal(r.code, 1, `exits 1: ${r.out}`)
  t.match(r.out, /npm start needs root/, 'says it needs root')
  t.match(r.out, /sudo npm start/, 'and how to run it')
  t.notMatch(r.out, /apt|\[setup\]/, 'before set-up ran anything')
})
