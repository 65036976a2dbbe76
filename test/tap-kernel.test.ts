// Kernel interop over a tap device. The stack's tap and every kernel-side program
// (curl, ping, node:net) live in a network namespace made for this test, so the
// 10.20.0.0/24 addresses exist only there and nothing leaves it.
import t from 'tap'
import { randomBytes, createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { cleanup, execIn } from './helpers/cleanup'
import { needStack, StackProcess, tapStack } from './helpers/harness'
import * as sc from './helpers/scenarios'

cleanup.hook(t)
const MiB = 1024 * 1024
const curl = ['-sS', '--noproxy', '*', '--max-time', '10']

t.test('tap: the kernel and a stack in another process talk TCP, HTTP and ICMP', needStack(), async (t) => {
  const { netns, name, hostIp, stackIp, stack } = await tapStack(t)
  t.comment(`tap ${name} in namespace ${netns}: kernel ${hostIp}, stack ${stackIp}`)

  await t.test('the kernel can ping the stack (ping -c 3 -W 2)', async (t) => {
    const r = await execIn(netns, 'ping', ['-c', '3', '-W', '2', stackIp], 20_000)
    t.equal(r.code, 0, `ping exits 0\n${r.stdout}${r.stderr}`)
    t.match(r.stdout, /3 packets transmitted, 3 received/, 'three replies')
  })

  await t.test('curl from the kernel reaches a node:http server on the stack', async (t) => {
    const { port } = await stack.call('httpServer', { port: 7000 })
    const url = `http://${stackIp}:${port}`
    const get = await execIn(netns, 'curl', [...curl, `${url}/hello`])
    t.equal(get.code, 0, `curl GET exits 0 ${get.stderr}`)
    t.match(get.stdout, /^hello from gazelle GET \/hello 0 /, 'the stack-side http server answered')

    // Three requests on one keep-alive connection.
    const many = await execIn(netns, 'curl', [...curl, `${url}/a`, `${url}/b`, `${url}/c`])
    t.equal(many.code, 0, `curl with three URLs exits 0 ${many.stderr}`)
    t.equal(many.stdout.split('\n').filter((l) => l.startsWith('hello from gazelle GET')).length, 3, 'three answers')

    // A 4 MiB upload, checked by sha256 on the server.
    const body = randomBytes(4 * MiB)
    const file = path.join(os.tmpdir(), `gazelle-test-${process.pid}.bin`)
    cleanup.files.add(file)
    fs.writeFileSync(file, body)
    const post = await execIn(netns, 'curl', [...curl, '--data-binary', `@${file}`, '-H', 'content-type: application/octet-stream', `${url}/upload`])
    t.equal(post.code, 0, `curl POST exits 0 ${post.stderr}`)
    const digest = createHash('sha256').update(body).digest('hex')
    t.equal(post.stdout.trim(), `hello from gazelle POST /upload ${body.length} ${digest}`, 'the server got the 4 MiB body intact')
    await stack.call('closeServer', { port })
  })

  await t.test('a node:net client in the kernel reaches a stack server (echo, sha256)', async (t) => {
    const kclient = await StackProcess.start(t, { kernel: true, netns, name: 'kernel-client' })
    await sc.echoBulk(t, stack, kclient, stackIp, { conns: 4, bytesPerConn: 2 * MiB, timeoutMs: 60_000 })
    await kclient.stop()
  })

  await t.test('a stack client reaches a node:net server on the kernel side (host IP)', async (t) => {
    const kserver = await StackProcess.start(t, { kernel: true, netns, name: 'kernel-server' })
    await sc.echoBulk(t, kserver, stack, hostIp, { conns: 4, bytesPerConn: 2 * MiB, timeoutMs: 60_000, listenHost: hostIp })
    await kserver.stop()
  })

  await t.test('closing the stack removes the tap device', async (t) => {
    await stack.call('closeStack')
    const r = await execIn(netns, 'ip', ['link', 'show', 'dev', name], 5000)
    t.not(r.code, 0, `no ${name} after stack.close()`)
  })
})
