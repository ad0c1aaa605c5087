#!/usr/bin/env python3
"""Writes options_in.pcap: the input of worker_test's golden-capture test (WorkerTest.
PcapGoldenCapture). Frames for Palisade at 10.0.0.1 (MAC 02:70:63:61:70:00, the first net_pcap
port's address) on the trunk subnet 10.0.0.0/25:

  1. ARP request from the PBX 10.0.0.2 for 10.0.0.1   -> ARP reply (and the PBX is learned)
  2. OPTIONS sip:10.0.0.1 from the PBX (rport)          -> 200 OK, Allow/Accept/Supported
  3. OPTIONS from 10.0.0.200 (outside every trunk)     -> nothing (unknown source)
  4. REGISTER from the PBX                             -> punted, nothing on the wire
  5. SUBSCRIBE from the PBX                            -> 405 with Allow
  6. OPTIONS without Call-ID from the PBX              -> 400 with the reason
  7. OPTIONS to another user, Max-Forwards 0           -> 483
  8. OPTIONS with a bad UDP checksum                   -> nothing (dropped by L3)

Run it from this directory to regenerate; the golden output options_out.pcap is what Palisade
sent for it, checked by hand with tshark (PALISADE_UPDATE_GOLDEN=1 rewrites it from a run).
"""
import struct

OUR_MAC = bytes.fromhex("027063617000")
PBX_MAC = bytes.fromhex("020000000002")
STRANGER_MAC = bytes.fromhex("0200000000c8")
OUR_IP = bytes([10, 0, 0, 1])
PBX_IP = bytes([10, 0, 0, 2])
STRANGER_IP = bytes([10, 0, 0, 200])


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp_frame(src_mac, src_ip, sport, payload: bytes, ip_id: int, bad_checksum=False) -> bytes:
    udp_len = 8 + len(payload)
    pseudo = src_ip + OUR_IP + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, 5060, udp_len, 0) + payload
    c = csum(pseudo + udp) or 0xFFFF
    if bad_checksum:
        c ^= 0x5A5A
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, ip_id, 0, 64, 17, 0, src_ip, OUR_IP)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return OUR_MAC + src_mac + b"\x08\x00" + ip + udp


def arp_request(src_mac, src_ip) -> bytes:
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, src_mac, src_ip, b"\0" * 6, OUR_IP)
    return b"\xff" * 6 + src_mac + b"\x08\x06" + arp + b"\0" * 18  # padded to 60 octets


def sip(method, ruri, call_id, extra="", via_host="10.0.0.2:5070", cseq=None, max_forwards=70):
    lines = [
        f"{method} {ruri} SIP/2.0",
        f"Via: SIP/2.0/UDP {via_host};branch=z9hG4bK-golden-{(call_id or 'none').split('@')[0]};rport",
        f"Max-Forwards: {max_forwards}",
        "From: <sip:pbx@10.0.0.2>;tag=g1",
        f"To: <{ruri}>",
    ]
    if call_id:
        lines.append(f"Call-ID: {call_id}")
    lines.append(f"CSeq: {cseq or 1} {method}")
    if extra:
        lines.append(extra)
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


frames = [
    arp_request(PBX_MAC, PBX_IP),
    udp_frame(PBX_MAC, PBX_IP, 5070, sip("OPTIONS", "sip:10.0.0.1", "g-options@10.0.0.2"), 1),
    udp_frame(STRANGER_MAC, STRANGER_IP, 5070,
              sip("OPTIONS", "sip:10.0.0.1", "g-stranger@10.0.0.200", via_host="10.0.0.200:5070"), 2),
    udp_frame(PBX_MAC, PBX_IP, 5070,
              sip("REGISTER", "sip:10.0.0.1", "g-register@10.0.0.2",
                  extra="Contact: <sip:pbx@10.0.0.2:5070>\r\nExpires: 3600"), 3),
    udp_frame(PBX_MAC, PBX_IP, 5070,
              sip("SUBSCRIBE", "sip:10.0.0.1", "g-subscribe@10.0.0.2", extra="Event: presence"), 4),
    udp_frame(PBX_MAC, PBX_IP, 5070, sip("OPTIONS", "sip:10.0.0.1", None), 5),
    udp_frame(PBX_MAC, PBX_IP, 5070,
              sip("OPTIONS", "sip:+31201234567@198.51.100.7", "g-hops@10.0.0.2", max_forwards=0), 6),
    udp_frame(PBX_MAC, PBX_IP, 5070, sip("OPTIONS", "sip:10.0.0.1", "g-badsum@10.0.0.2"), 7,
              bad_checksum=True),
]

with open("options_in.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(frames):
        f.write(struct.pack("<IIII", 1_700_000_000, i * 1000, len(fr), len(fr)))
        f.write(fr)
print(f"wrote options_in.pcap: {len(frames)} frames")
