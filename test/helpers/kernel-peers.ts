// Real servers on the kernel side of a test namespace, started by the test and stopped
// with it (pass or fail): Debian's redis-server and PostgreSQL (with TLS), and plain node
// services. They listen on all addresses of the namespace, so they are up before a
// stack's tap brings 10.20.0.1 into it.
import { execFileSync, spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { cleanup } from './cleanup'
import { waitFor } from './harness'
import { App, killGroupAtExit } from './register'

type T = { teardown(fn: () => unknown): void; comment(...a: unknown[]): void; passing?(): boolean }

function serve(t: T, netns: string, name: string, argv: string[], env?: NodeJS.ProcessEnv, stopSignal: NodeJS.Signals = 'SIGTERM'): App {
  cleanup.hook()
  const child = spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', ...env }, detached: true })
  cleanup.child(child)
  killGroupAtExit(child.pid!)
  const app = new App(child, `${name}:${child.pid}`)
  t.teardown(async () => {
    if (t.passing && !t.passing()) t.comment(`${app.name} output (tail):\n${app.output().slice(-4000)}`)
    if (!app.exitInfo) app.kill(stopSignal)
    await app.exited(8000).catch(() => app.stop())
  })
  return app
}

/** redis-server on 0.0.0.0:port, no persistence. */
export async function startRedis(t: T, netns: string, port = 6379): Promise<App> {
  const redis = serve(t, netns, 'redis', ['redis-server', '--port', String(port), '--bind', '0.0.0.0', '--protected-mode', 'no',
    '--save', '', '--appendonly', 'no', '--dir', os.tmpdir()])
  await redis.waitFor(/Ready to accept connections/, 20_000)
  return redis
}

function postgresBin(): string {
  const base = '/usr/lib/postgresql'
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin/postgres'))) : []
  if (!versions.length) throw new Error('PostgreSQL is not installed (Debian package postgresql): run npm run setup')
  return path.join(base, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin')
}

/** PostgreSQL on 0.0.0.0:port with ssl=on (key and certificate given), trusting every
 * client, in a fresh data directory removed at the end. */
export async function startPostgres(t: T, netns: string, tls: { key: string; cert: string }, port = 5432): Promise<App> {
  const bin = postgresBin()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gazelle-pg-'))
  const remove = () => fs.rmSync(dir, { recursive: true, force: true })
  process.once('exit', remove)
  const asPostgres = ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups']
  const data = path.join(dir, 'data')
  execFileSync('chown', ['postgres:postgres', dir])
  execFileSync(asPostgres[0], [...asPostgres.slice(1), path.join(bin, 'initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000, cwd: dir })
  fs.appendFileSync(path.join(data, 'pg_hba.conf'), 'host all all 0.0.0.0/0 trust\n')
  for (const [file, pem] of [['server.key', tls.key], ['server.crt', tls.cert]]) {
    fs.writeFileSync(path.join(data, file), pem, { mode: 0o600 })
    execFileSync('chown', ['postgres:postgres', path.join(data, file)])
  }
  const pg = serve(t, netns, 'postgres', [...asPostgres, path.join(bin, 'postgres'), '-D', data, '-c', `port=${port}`,
    '-c', 'listen_addresses=*', '-c', `unix_socket_directories=${dir}`, '-c', 'ssl=on', '-c', 'fsync=off',
    '-c', 'max_connections=40', '-c', 'shared_buffers=16MB'], {}, 'SIGINT')
  t.teardown(async () => {
    await waitFor(() => pg.exitInfo !== null, 10_000, 'postgres to stop').catch(() => undefined)
    remove()
  })
  await pg.waitFor(/database system is ready to accept connections/, 30_000)
  return pg
}
