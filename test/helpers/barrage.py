# A malformed-frame barrage (scapy, from Debian's python3-scapy) at a stack from a
# kernel interface: bad checksums, truncations, bad IHL/lengths/options, TCP flag
# combinations and bad data offsets/options, overlapping and never-completed fragments,
# a ping of death, fuzzed IP/TCP/UDP/ICMP, ARP garbage, runt and odd Ethernet frames.
# Seeded: the same frames every run. Prints one JSON line: frames sent per kind.
# usage: /usr/bin/python3 barrage.py IFACE DST_MAC SRC_IP DST_IP OPEN_PORT [SEED]
import json
import random
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw, conf, fragment, fuzz

iface, dst_mac, src_ip, dst_ip, port = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
random.seed(int(sys.argv[6]) if len(sys.argv) > 6 else 1)
conf.verb = 0
sock = conf.L2socket(iface=iface)
eth = Ether(dst=dst_mac)
sent = {}


def send(kind, frames):
    n = 0
    for f in frames:
        sock.send(f if isinstance(f, bytes) else bytes(f))
        n += 1
    sent[kind] = sent.get(kind, 0) + n


def ip(**kw):
    return IP(src=src_ip, dst=dst_ip, **kw)


def sport():
    return random.randint(1024, 65535)


syn = eth / ip() / TCP(sport=40000, dport=port, flags='S', seq=1000)
send('ip bad checksum', [eth / ip(chksum=random.randint(0, 0xFFFF)) / TCP(sport=sport(), dport=port, flags='S') for _ in range(100)])
send('tcp bad checksum', [eth / ip() / TCP(sport=sport(), dport=port, flags='S', chksum=random.randint(0, 0xFFFF)) for _ in range(100)])
send('udp bad checksum', [eth / ip() / UDP(sport=sport(), dport=port, chksum=random.randint(1, 0xFFFF)) / Raw(b'x' * 20) for _ in range(50)])
whole = bytes(eth / ip() / TCP(sport=40001, dport=port, flags='PA') / Raw(b'y' * 100))
send('truncated', [whole[:n] for n in range(0, len(whole), 3)])
send('bad ihl', [eth / ip(ihl=h) / TCP(sport=sport(), dport=port, flags='S') for h in range(0, 16) for _ in range(4)])
send('bad total length', [eth / ip(len=n) / TCP(sport=sport(), dport=port, flags='S') for n in (0, 1, 19, 20, 21, 39, 41, 1500, 9000, 65535) for _ in range(4)])
def with_ip_options(opts):
    # random option bytes after the IP header (IHL, length and checksum made to fit)
    opts += bytes(-len(opts) % 4)
    body = bytes(ip() / TCP(sport=sport(), dport=port, flags='S'))
    hdr = bytearray(body[:20] + opts)
    hdr[0] = 0x40 | (len(hdr) // 4)
    hdr[2:4] = (len(hdr) + len(body) - 20).to_bytes(2, 'big')
    hdr[10:12] = b'\0\0'
    total = sum(int.from_bytes(hdr[i:i + 2], 'big') for i in range(0, len(hdr), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    hdr[10:12] = (~total & 0xFFFF).to_bytes(2, 'big')
    return bytes(eth) + bytes(hdr) + body[20:]


send('bad ip options', [with_ip_options(bytes([random.choice((0, 1, 7, 68, 130, 131, 137, 148, 255)), random.randint(0, 50)]) +
                                        bytes(random.randint(0, 255) for _ in range(random.randint(0, 36))))
                        for _ in range(100)])
send('tcp flag combinations', [eth / ip() / TCP(sport=sport(), dport=d, flags=f, seq=random.randint(0, 2**32 - 1), ack=random.randint(0, 2**32 - 1))
                               for f in range(256) for d in (port, port + 1)])
send('tcp bad data offset', [eth / ip() / TCP(sport=sport(), dport=port, flags='S', dataofs=d) / Raw(b'z' * 8) for d in range(16) for _ in range(4)])
bad_opts = [b'\x02\x00', b'\x02\x01', b'\x02\xff\x05', b'\x03\x00', b'\x03\x03\xff', b'\x04\x00', b'\x05\x00', b'\x05\x03\x00',
            b'\x05\x0a' + bytes(8), b'\x05\xff' + bytes(30), b'\x08\x00', b'\x08\x0a' + bytes(8), b'\xff\x00', b'\x01' * 39, b'\x00' * 12]
send('tcp bad options', [eth / ip() / TCP(sport=sport(), dport=port, flags=fl, options=[], seq=random.randint(0, 2**32 - 1)) / Raw(o)
                         for o in bad_opts for fl in ('S', 'A', 'SA')])
send('tcp options fuzz', [eth / ip() / TCP(sport=sport(), dport=port, flags='S', dataofs=15) / Raw(bytes(random.randint(0, 255) for _ in range(40)))
                          for _ in range(100)])
# fragments: overlapping, never completed, tiny, and a ping of death (over 65535 reassembled)
big = ip(id=0x4242) / ICMP() / Raw(b'A' * 3000)
frags = fragment(big, fragsize=512)
overlap = []
for i in range(30):
    p = ip(id=0x1000 + i, flags='MF', frag=0) / UDP(sport=9, dport=9) / Raw(b'a' * 64)
    q = ip(id=0x1000 + i, frag=4, proto=17) / Raw(b'b' * 64)   # starts inside the first
    overlap += [eth / p, eth / q]
send('overlapping fragments', overlap + [eth / f for f in frags[::-1]])
send('never-completed fragments', [eth / ip(id=0x2000 + i, flags='MF', frag=0) / UDP(sport=9, dport=port) / Raw(b'c' * 200) for i in range(200)])
send('tiny fragments', [eth / ip(id=0x3000 + i, flags='MF', frag=i % 8, proto=6) / Raw(b'd' * 8) for i in range(100)])
pod = fragment(ip(id=0x5151) / ICMP() / Raw(b'P' * 65600), fragsize=1400)
send('ping of death', [eth / f for f in pod])
send('ip fuzz', [eth / fuzz(IP(src=src_ip, dst=dst_ip)) for _ in range(200)])
send('tcp fuzz', [eth / ip() / fuzz(TCP(dport=port)) for _ in range(300)])
send('udp fuzz', [eth / ip() / fuzz(UDP()) for _ in range(100)])
send('icmp fuzz', [eth / ip() / fuzz(ICMP()) for _ in range(200)])
send('arp garbage', [Ether(dst=dst_mac) / fuzz(ARP()) for _ in range(150)] +
     [Ether(dst='ff:ff:ff:ff:ff:ff') / ARP(hwlen=h, plen=p, op=o, pdst=dst_ip) for h in (0, 1, 6, 255) for p in (0, 4, 255) for o in (0, 1, 2, 9)])
send('runt and odd ethernet', [bytes(random.randint(0, 255) for _ in range(n)) for n in range(0, 60, 2)] +
     [bytes(Ether(dst=dst_mac, type=random.randint(0, 0xFFFF)) / Raw(bytes(random.randint(0, 255) for _ in range(64)))) for _ in range(100)])
print(json.dumps({'sent': sum(sent.values()), 'kinds': sent}))
