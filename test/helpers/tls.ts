// A throwaway CA and a server certificate signed by it, made with openssl at test time
// (nothing secret is committed). The certificate names the given IPs and DNS names.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { cleanup } from './cleanup'

export interface TestPki {
  /** PEM of the CA certificate: clients trust it through `ca`. */
  ca: string
  /** The CA certificate as a file (curl --cacert), removed at cleanup. */
  caFile: string
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
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
    openssl(dir, ['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=gazelle test CA', '-keyout', 'ca.key', '-out', 'ca.pem'])
    openssl(dir, ['req', ...ec, '-subj', '/CN=gazelle test server', '-keyout', 'server.key', '-out', 'server.csr'])
    fs.writeFileSync(path.join(dir, 'ext.cnf'), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`)
    openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
      '-days', '2', '-extfile', 'ext.cnf', '-out', 'server.pem'])
    const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8')
    const pki = { ca: read('ca.pem'), key: read('server.key'), cert: read('server.pem') }
    const caFile = path.join(os.tmpdir(), `gazelle-ca-${process.pid}-${path.basename(dir)}.pem`)
    cleanup.files.add(caFile)
    fs.writeFileSync(caFile, pki.ca)
    return { ...pki, caFile }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** A test PKI whose server certificate names one IP. */
export function testCertificates(ip: string): TestPki {
  return makeTestPki({ ips: [ip] })
}
