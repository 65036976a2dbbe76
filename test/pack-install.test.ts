// The packages as an app gets them: `npm pack` of every package, the tarballs installed
// into a scratch app in a temporary directory outside the repository (the addon built by
// @gazelle/native's install script with node-gyp), then, from there, an ESM Fastify app
// on a memif stack answering a CommonJS undici client on another, gazellectl finding the
// app, and tsc checking the installed types under CommonJS, NodeNext ESM and bundler
// module modes. Dependencies come from npm's cache first (--prefer-offline).
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { cleanup, memifSocket } from './helpers/cleanup'
import { needStack } from './helpers/harness'

cleanup.hook(t)
const run = promisify(execFile)
const repo = path.join(__dirname, '..')
const fixtures = path.join(__dirname, 'fixtures', 'scratch-app')
const WORKSPACES = ['native', 'packages/stack', 'packages/fastify', 'packages/undici', 'packages/grpc', 'packages/ctl', 'packages/register']
const rootPkg = (p: string) => JSON.parse(fs.readFileSync(path.join(repo, p, 'package.json'), 'utf8'))

/** The version of a dependency the repository has installed (so npm's cache has it). */
function installed(name: string): string {
  return JSON.parse(fs.readFileSync(path.join(repo, 'node_modules', name, 'package.json'), 'utf8')).version
}

/** Spawns `node file args` in dir; resolves with its first stdout line, parsed. */
async function firstLine(dir: string, args: string[], keepStdin: boolean) {
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] })
  cleanup.child(child)
  let stderr = ''
  child.stderr!.on('data', (d) => { stderr += d })
  if (!keepStdin) child.stdin!.end()
  const lines = createInterface({ input: child.stdout! })
  const line = await Promise.race([
    once(lines, 'line').then(([l]) => l as string),
    once(child, 'exit').then(([code]) => { throw new Error(`${args[0]} exited (${code}) before printing: ${stderr}`) }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${args[0]}: no output in 60 s: ${stderr}`)), 60_000).unref()),
  ])
  return { child, result: JSON.parse(line), stderr: () => stderr }
}

t.test('npm pack of each package installs into a scratch app and works there', needStack(), async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gazelle-scratch-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  t.ok(path.relative(repo, dir).startsWith('..'), 'the scratch app is outside the repository')

  const packed = await run('npm', ['pack', '--json', '--pack-destination', dir, ...WORKSPACES.flatMap((w) => ['-w', w])],
    { cwd: repo, timeout: 120_000, maxBuffer: 16 << 20 })
  const tarballs = (JSON.parse(packed.stdout) as { name: string; filename: string; files: { path: string }[] }[])
  t.same(tarballs.map((p) => p.name).sort(), WORKSPACES.map((w) => rootPkg(w).name).sort(), 'one tarball per package')
  for (const p of tarballs) {
    const files = p.files.map((f) => f.path)
    t.notOk(files.some((f) => /(^|\/)(test|node_modules|build|deps)\//.test(f) || f.endsWith('.tsbuildinfo')),
      `${p.name}: no tests, build output of the addon, or dependencies in the tarball`)
  }

  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
    name: 'scratch-app',
    private: true,
    type: 'module',
    dependencies: {
      ...Object.fromEntries(tarballs.map((p) => [p.name, `file:./${p.filename}`])),
      fastify: installed('fastify'),
      undici: installed('undici'),
      '@grpc/grpc-js': installed('@grpc/grpc-js'),
      '@types/node': installed('@types/node'),
    },
  }, null, 2))
  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', '--loglevel=error'],
    { cwd: dir, timeout: 600_000, maxBuffer: 64 << 20 }).catch((e) => ({ failed: `${e.stdout}\n${e.stderr}` }))
  t.notOk('failed' in install && install.failed, 'npm install of the tarballs (the addon built by node-gyp)')
  if ('failed' in install) return
  t.ok(fs.existsSync(path.join(dir, 'node_modules/@gazelle/native/build/Release/gazelle.node')), 'the addon was built at install')
  for (const f of fs.readdirSync(fixtures)) fs.cpSync(path.join(fixtures, f), path.join(dir, f), { recursive: true })

  await t.test('an ESM Fastify app on one memif stack, a CJS undici client on another', async (t) => {
    const socket = memifSocket()
    const server = await firstLine(dir, ['server.mjs', socket, '10.10.0.1', '3000'], true)
    t.teardown(() => { server.child.stdin!.end() })
    t.same(server.result.listening, { address: '10.10.0.1', port: 3000, family: 'IPv4' }, 'app.listen() served on the stack')
    t.same(server.result.shapes, { fastify: true, stack: true, undici: true, grpc: true, ctl: true, register: true },
      'every package imports from ESM, default and named')

    const ctl = await run(path.join(dir, 'node_modules/.bin/gazellectl'), ['list'], { cwd: dir, timeout: 30_000 })
    t.match(ctl.stdout, new RegExp(`\\b${server.child.pid}\\b`), 'the installed gazellectl lists the app')

    const client = await firstLine(dir, ['client.cjs', socket, '10.10.0.2', 'http://10.10.0.1:3000'], false)
    t.same(client.result.body, { hello: 'world', ip: '10.10.0.2' }, 'the CJS client reached the ESM app over memif')
    t.equal(client.result.status, 200)
    t.equal(client.result.typo.code, 'ERR_GAZELLE_INVALID_OPTION', 'an unknown option key is refused')
    t.match(client.result.typo.message, /pol.*poll/, 'naming the closest valid key')
    t.same(client.result.shapes, { fastify: true, grpc: true, ctl: true, register: true }, 'every package requires from CJS')
    const code = client.child.exitCode ?? (await once(client.child, 'exit'))[0]
    t.equal(code, 0, `the client exits cleanly ${client.stderr()}`)

    server.child.stdin!.end()
    const stuck = setTimeout(() => server.child.kill('SIGKILL'), 30_000)
    const exit = await once(server.child, 'exit')
    clearTimeout(stuck)
    t.same(exit, [0, null], `after app.close() the app exits by itself (within 30 s), code 0 ${server.stderr()}`)
  })

  await t.test('the installed types compile under CommonJS, NodeNext ESM and bundler modes', async (t) => {
    const tsc = require.resolve('typescript/bin/tsc')
    for (const mode of ['cjs', 'nodenext', 'bundler']) {
      const out = await run(process.execPath, [tsc, '-p', `types/tsconfig-${mode}.json`], { cwd: dir, timeout: 180_000 })
        .then(() => '', (e) => `${e.stdout}${e.stderr}`)
      t.equal(out, '', `tsc (${mode}) reports nothing`)
    }
  })
})
