// @gazelle/native's install script (native/scripts/install.js) in an app, when the machine
// lacks what the build needs: it names the Debian packages to install and fails, before
// any compiler runs. (The successful build is test/pack-install.test.ts.)
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

const script = path.join(__dirname, '..', 'native', 'scripts', 'install.js')

/** The script run from a copy of the package outside the repository (where it builds). */
function runInstall(t: Test, env: NodeJS.ProcessEnv) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gazelle-native-install-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.mkdirSync(path.join(dir, 'native', 'scripts'), { recursive: true })
  fs.copyFileSync(script, path.join(dir, 'native', 'scripts', 'install.js'))
  return spawnSync(process.execPath, [path.join(dir, 'native', 'scripts', 'install.js')],
    { cwd: path.join(dir, 'native'), env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 })
}

t.test('no DPDK or libbpf for pkg-config: the apt-get line, exit 1, no compiler run', async (t) => {
  const r = runInstall(t, { PKG_CONFIG_LIBDIR: '/nonexistent' })
  t.equal(r.status, 1)
  t.match(r.stderr, /cannot build the addon: missing build prerequisites.*npm rebuild @gazelle\/native/)
  t.match(r.stderr, /apt-get install libdpdk-dev dpdk libnuma-dev libbpf-dev\n/)
  t.notMatch(r.stderr + r.stdout, /gyp|error:/, 'no build output')
})

t.test('no pkg-config at all: it is named', async (t) => {
  const r = runInstall(t, { PATH: '/nonexistent' })
  t.equal(r.status, 1)
  t.match(r.stderr, /apt-get install pkg-config build-essential clang python3 patch\n/)
})
