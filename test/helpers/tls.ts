// A throwaway CA and a server certificate signed by it, made with openssl at test time
// (nothing secret is committed). The certificate names the given IPs and DNS names.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

export interface TestPki {
  /** PEM of the CA certificate: clients trust it through `ca`. */
  ca: string
  /** PEM key and certificate of the server. */
  key: string
  cert: string
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 })
}

export function makeTestPki(names: { ips?: string[]; dns?: string[] }): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gazelle-pki-'))
  try {
    const san = [...(names.ips ?? []).map((ip) => `IP:${ip}`), ...(names.dns ?? []).map((d) => `DNS:${d}`)].join(',')
    openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-subj', '/CN=gazelle test CA', '-keyout', 'ca.key', '-out', 'ca.pem'])
    openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-subj', '/CN=gazelle test server', '-keyout', 'server.key', '-out', 'server.csr'])
    fs.writeFileSync(path.join(dir, 'ext.cnf'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`)
    openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
      '-days', '2', '-extfile', 'ext.cnf', '-out', 'server.pem'])
    const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8')
    return { ca: read('ca.pem'), key: read('server.key'), cert: read('server.pem') }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
