import t from 'tap'
import { classifyDpdkLine, explainWithDpdkLines } from '../src/dpdk-log'

t.test('DPDK lines: levels mapped, lines the stack explains itself demoted', async (t) => {
  t.same(classifyDpdkLine(4, 'EAL: something failed'), { level: 'warn', text: 'EAL: something failed' })
  t.same(classifyDpdkLine(7, 'EAL: Detected CPU lcores: 2'), { level: 'info', text: 'EAL: Detected CPU lcores: 2' })
  t.same(classifyDpdkLine(8, 'x'), { level: 'debug', text: 'x' })
  t.match(classifyDpdkLine(4, 'memif_connect_client(): Failed to connect socket: /run/gazelle/a.sock.'), {
    level: 'debug', meaning: /no memif server on the socket yet/,
  })
  t.match(classifyDpdkLine(4, 'tap_nl_dump_ext_ack(): Specified qdisc kind is unknown'), { level: 'debug', meaning: /harmless/ })
})

t.test('an open-time error carries DPDK\'s error lines and what to do', async (t) => {
  const lines: [number, string][] = [
    [7, 'EAL: Detected CPU lcores: 2'],
    [4, "EAL: get_seg_fd(): open '/dev/hugepages/gazelle-1map_0' failed: Permission denied"],
    [4, "EAL: Couldn't get fd on hugepage file"],
  ]
  t.equal(explainWithDpdkLines('DPDK EAL initialisation failed: Cannot allocate memory', lines),
    "DPDK EAL initialisation failed: Cannot allocate memory (DPDK: EAL: get_seg_fd(): open '/dev/hugepages/gazelle-1map_0' failed: " +
    "Permission denied; EAL: Couldn't get fd on hugepage file): run as root")
  t.equal(explainWithDpdkLines('m', [[4, 'EAL: No free 2048 kB hugepages reported on node 0']]),
    'm (DPDK: EAL: No free 2048 kB hugepages reported on node 0): check the hugepages: `npm run setup` as root reserves and mounts them')
  t.equal(explainWithDpdkLines('m', [[7, 'info only']]), 'm', 'no error lines: the message as it was')
  t.equal(explainWithDpdkLines('m', [[4, 'a'], [4, 'b'], [4, 'c'], [4, 'd']]), 'm (DPDK: b; c; d)', 'the last three')
})
