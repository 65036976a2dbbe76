// The keyed hash behind TCP initial sequence numbers, SYN cookies and port choice
// (native/src/siphash.c) is SipHash-2-4: the paper's test vector, and OpenSSL's SipHash for
// random keys and messages of every length a word boundary can split. (Built alone with cc:
// it needs neither DPDK nor LwIP.)
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import t from 'tap'

const REPO = path.resolve(__dirname, '..')

t.test('gz_siphash is SipHash-2-4', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gz-siphash-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const bin = path.join(dir, 'siphash-tag')
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Werror', '-I', path.join(REPO, 'native/src'), '-o', bin,
    path.join(REPO, 'test/fixtures/siphash-tag.c'), path.join(REPO, 'native/src/siphash.c')])
  const ours = (key: Buffer, msg: Buffer) => execFileSync(bin, [key.toString('hex'), msg.toString('hex')]).toString().trim()
  const openssl = (key: Buffer, msg: Buffer) =>
    execFileSync('openssl', ['mac', '-macopt', `hexkey:${key.toString('hex')}`, '-macopt', 'size:8', 'SIPHASH'], { input: msg })
      .toString().trim()

  // The paper (Aumasson, Bernstein 2012), appendix A: key 00..0f, message 00..0e.
  const key = Buffer.from([...Array(16).keys()])
  t.equal(ours(key, Buffer.from([...Array(15).keys()])), 'E545BE4961CA29A1', "the paper's vector (0xa129ca6149be45e5)")
  for (const len of [0, 1, 7, 8, 9, 12, 15, 16, 17, 31, 64]) {
    const k = randomBytes(16)
    const m = randomBytes(len)
    t.equal(ours(k, m), openssl(k, m), `${len} bytes, as OpenSSL computes it`)
  }
})
