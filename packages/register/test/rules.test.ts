import t from 'tap'
import { parseIPv4 } from '@gazelle/stack'
import { RouteTable, isRouteRule } from '../src/rules'

const subnet = { ip: parseIPv4('10.20.0.2')!, prefix: 24 }
const ip = (s: string) => parseIPv4(s)!

t.test('rule entries: subnet, default, addresses, CIDRs, ports and ranges', async (t) => {
  for (const good of ['subnet', 'default', 'subnet:80', 'default:53', '10.40.0.5', '10.40.0.5:6379', ' 10.30.7.9/16:8000-8080 ', '0.0.0.0/0']) {
    t.ok(isRouteRule(good), `${JSON.stringify(good)} is a rule`)
  }
  for (const bad of ['', 'nope', '10.0.0.0/33', '10.0.0.256', '10.0.0.1:0', '10.0.0.1:70000', '10.0.0.1:90-80', '10.0.0.1:1-2-3', '::1', 'subnet:x', 5, null]) {
    t.notOk(isRouteRule(bad), `${JSON.stringify(bad)} is refused`)
  }
})

t.test('the table: kernel exceptions first, then the subnet and stack rules, else the kernel', async (t) => {
  const table = new RouteTable(subnet, ['10.30.0.0/16', '10.40.0.5:6379'], ['10.30.9.0/24', '10.20.0.1:22'])
  t.equal(table.target(ip('10.20.0.1'), 80), 'stack', 'the stack\'s own subnet')
  t.equal(table.target(ip('10.20.0.1'), 22), 'kernel', 'a kernel exception beats the subnet')
  t.equal(table.target(ip('10.30.1.1'), 443), 'stack', 'a routed CIDR')
  t.equal(table.target(ip('10.30.9.1'), 443), 'kernel', 'a kernel CIDR inside it')
  t.equal(table.target(ip('10.40.0.5'), 6379), 'stack', 'address and port')
  t.equal(table.target(ip('10.40.0.5'), 6380), 'kernel', 'another port of it')
  t.equal(table.target(ip('192.168.1.1'), 80), 'kernel', 'unmatched')
  t.equal(table.targetOf('::1', 80), 'kernel', 'IPv6')
  t.equal(table.targetOf('example.com', 80), 'kernel', 'names')
  const all = new RouteTable(subnet, ['default'])
  t.equal(all.target(ip('8.8.8.8'), 53), 'stack', '"default" routes every IPv4 address')
  t.equal(all.target(ip('127.0.0.1'), 80), 'kernel', 'but never loopback')
  t.equal(all.target(ip('0.0.0.0'), 80), 'kernel', 'nor 0.0.0.0/8')
  const ports = new RouteTable(subnet, [], ['subnet:22'])
  t.equal(ports.target(ip('10.20.0.9'), 22), 'kernel', '"subnet:PORT" as an exception')
  t.equal(ports.target(ip('10.20.0.9'), 23), 'stack')
  t.equal(table.describe(), '10.20.0.0/24,10.30.0.0/16,10.40.0.5/32:6379 (kernel: 10.30.9.0/24,10.20.0.1/32:22)')
})
