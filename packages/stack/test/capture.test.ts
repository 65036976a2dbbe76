import t from 'tap'
import { pcapHeader } from '../src/control/capture'

t.test('pcap file header: nanosecond magic, v2.4, snaplen, Ethernet', async (t) => {
  const h = pcapHeader(65535)
  t.equal(h.length, 24)
  t.equal(h.readUInt32LE(0), 0xa1b23c4d)
  t.equal(h.readUInt16LE(4), 2)
  t.equal(h.readUInt16LE(6), 4)
  t.equal(h.readUInt32LE(16), 65535)
  t.equal(h.readUInt32LE(20), 1)
})
