# Sends IPv4/UDP frames with a wrong IP header checksum out of a kernel interface
# (AF_PACKET): the stack on the other side must count and drop them.
# usage: bad-frames.py IFACE DST_MAC SRC_IP DST_IP COUNT
import socket
import struct
import sys

iface, dst_mac, src_ip, dst_ip, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
src_mac = s.getsockname()[4]
payload = b'malformed'
udp = struct.pack('!HHHH', 9999, 9999, 8 + len(payload), 0) + payload
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, socket.IPPROTO_UDP, 0xDEAD,
                 socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
frame = bytes.fromhex(dst_mac.replace(':', '')) + src_mac + b'\x08\x00' + ip + udp
for _ in range(count):
    s.send(frame)
