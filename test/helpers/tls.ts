// A test CA and a server certificate for an IP address, made with openssl at test time.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { cleanup } from './cleanup'

export interface TestCertificates {
  /** The CA certificate's file, for curl --cacert. */
  caFile: string
  ca: string
  key: string
  cert: string
}

export function testCertificates(ip: string): TestCertificates {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gazelle-tls-${process.pid}-`))
  const file = (name: string) => {
    const p = path.join(dir, name)
    cleanup.files.add(p)
    return p
  }
  const [caKey, caFile, key, csr, cert, ext] = ['ca.key', 'ca.pem', 'server.key', 'server.csr', 'server.pem', 'ext.cnf'].map(file)
  file('ca.srl')
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 })
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl('req', '-x509', ...ec, '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', '/CN=gazelle test CA')
  openssl('req', ...ec, '-keyout', key, '-out', csr, '-subj', `/CN=${ip}`)
  fs.writeFileSync(ext, `subjectAltName=IP:${ip}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`)
  openssl('x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext)
  const read = (p: string) => fs.readFileSync(p, 'utf8')
  const certs = { caFile, ca: read(caFile), key: read(key), cert: read(cert) }
  cleanup.hook()
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
  return certs
}
