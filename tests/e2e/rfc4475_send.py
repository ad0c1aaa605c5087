#!/usr/bin/env python3
"""Sends every RFC 4475 torture message to Palisade from an allowed source (a trunk's PBX address)
and checks the outcome Palisade must give, written per message below (issue 7, robustness).

Usage: rfc4475_send.py CORPUS_DIR LOCAL_IP LOCAL_PORT SERVER_IP SERVER_PORT [IFACE]
Run inside the PBX namespace. Responses go where each message's top Via says (RFC 3261 §18.2.2),
mostly hosts of example.com that are not ours, so they are read with an AF_PACKET socket on the
namespace's interface (IFACE, default every interface) from SERVER_IP, matched to the message by
Call-ID (a message without one: the first response within its window). Exit 0 when every
message got an allowed outcome; 1 otherwise, with one line per message either way.

Outcomes: a status code, or "none" (dropped, counted by the data plane: the shell test checks
the counters). Where the design leaves a choice, the set lists each allowed code.
"""
import os
import re
import socket
import struct
import sys
import time

NONE = "none"
# file: (allowed outcomes, why). Valid requests get an answer; invalid ones 400 (or 416/505 as
# RFC 3261 §8.2.2.1 / §8.2.1 say), or a counted drop when the message cannot even be framed
# (nothing to build a response from); responses are never answered (RFC 3261 §16.7: dropped).
EXPECTED = {
    # --- valid INVITEs from an allowed source without credentials: the digest challenge first
    "wsinv.sip": ({407, 481}, "valid INVITE with a To tag: 481 (no such dialog, RFC 3261 §12.2.2), or challenged"),
    "esc01.sip": ({407}, "valid INVITE: challenged"),
    "invut.sip": ({407}, "valid INVITE (unknown Content-Type body): challenged"),
    "longreq.sip": ({407, NONE}, "valid long INVITE, but its top Via is TCP to a host name: challenged, or a counted drop (no DNS: the response has nowhere to go, RFC 3261 §18.2.2)"),
    "sdp01.sip": ({407}, "valid INVITE: challenged"),
    "inv2543.sip": ({407, 400}, "RFC 2543 INVITE (no branch, no From tag): challenged, or refused as a strict SBC"),
    # --- valid REGISTERs: the registrar challenges (no valid credentials)
    "cparam01.sip": ({401}, "valid REGISTER: 401"),
    "cparam02.sip": ({401}, "valid REGISTER: 401"),
    "dblreq.sip": ({401}, "valid REGISTER (trailing octets ignored): 401"),
    "escnull.sip": ({401}, "valid REGISTER: 401"),
    "regaut01.sip": ({401}, "REGISTER with an unknown auth scheme: 401 with a fresh challenge"),
    "regescrt.sip": ({401}, "valid REGISTER: 401"),
    "unksm2.sip": ({401, 400}, "REGISTER with a non-SIP To: 401 (credentials first), or 400"),
    # --- valid OPTIONS: answered by Palisade (or 420 for an unknown Require)
    "badbranch.sip": ({200, 400}, "OPTIONS with a bare magic-cookie branch: 200, or 400"),
    "lwsdisp.sip": ({200}, "valid OPTIONS: 200"),
    "semiuri.sip": ({200}, "valid OPTIONS: 200"),
    "transports.sip": ({200}, "valid OPTIONS: 200"),
    "zeromf.sip": ({200, 483}, "OPTIONS with Max-Forwards 0: answered (200), or 483"),
    "bext01.sip": ({420}, "Require with unknown option tags: 420 with Unsupported"),
    # --- methods Palisade does not handle: 405 with Allow
    "intmeth.sip": ({405}, "extension method: 405"),
    "esc02.sip": ({405}, "RE%47IST%45R is not REGISTER: 405"),
    "mpart01.sip": ({405}, "MESSAGE: 405"),
    # --- unsupported URI schemes
    "novelsc.sip": ({416}, "soap.beep: Request-URI: 416"),
    "unkscm.sip": ({416}, "unknown Request-URI scheme: 416"),
    # --- invalid requests that still frame: 400 (505 for the version)
    "badaspec.sip": ({400}, "bad To addr-spec: 400"),
    "baddate.sip": ({400}, "bad Date: 400"),
    "badinv01.sip": ({400, NONE}, "bad Via: 400, or a counted drop (no Via to answer to, RFC 3261 §18.2.2)"),
    "badvers.sip": ({505}, "SIP/7.0: 505"),
    "escruri.sip": ({400}, "headers in the Request-URI: 400"),
    "insuf.sip": ({400, NONE}, "no Call-ID/From/To: 400, or a counted drop"),
    "ltgtruri.sip": ({400}, "<> around the Request-URI: 400"),
    "mismatch01.sip": ({400}, "CSeq method mismatch: 400"),
    "mismatch02.sip": ({400}, "CSeq method mismatch: 400"),
    "multi01.sip": ({400}, "two From headers: 400"),
    "quotbal.sip": ({400}, "unbalanced quotes: 400"),
    "regbadct.sip": ({400}, "bad Contact: 400"),
    "scalar02.sip": ({400}, "CSeq out of range: 400"),
    # --- cannot be framed: 400 when a response can be built, else a counted drop
    "baddn.sip": ({400, NONE}, "unterminated headers: 400 or drop"),
    "clerr.sip": ({400, NONE}, "Content-Length beyond the datagram: 400 or drop"),
    "lwsruri.sip": ({400, NONE}, "LWS in the Request-URI: 400 or drop"),
    "lwsstart.sip": ({400, NONE}, "LWS before the method: 400 or drop"),
    "trws.sip": ({400, NONE}, "trailing LWS in the request line: 400 or drop"),
    "mcl01.sip": ({400, NONE}, "conflicting Content-Lengths: 400 or drop"),
    "ncl.sip": ({400, NONE}, "negative Content-Length: 400 or drop"),
    # --- responses: never answered (dropped, counted)
    "bcast.sip": ({NONE}, "a response nobody asked for: dropped"),
    "noreason.sip": ({NONE}, "a response: dropped"),
    "unreason.sip": ({NONE}, "a response: dropped"),
    "scalarlg.sip": ({NONE}, "a response with a bad CSeq: dropped"),
    "bigcode.sip": ({NONE}, "status code 4294967301: dropped"),
}


def call_id(data):
    m = re.search(rb"^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)", data, re.M | re.I)
    return m.group(1) if m else None


def sniff_responses(sock, server_ip, deadline):
    """(Call-ID or None, status) of every SIP response from server_ip until deadline."""
    out = []
    server = socket.inet_aton(server_ip)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return out
        sock.settimeout(left)
        try:
            frame = sock.recv(65535)
        except socket.timeout:
            return out
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17 or ip[12:16] != server or (struct.unpack("!H", ip[6:8])[0] & 0x3FFF):
            continue  # not UDP from Palisade, or a fragment
        payload = ip[ihl + 8:]
        m = re.match(rb"SIP/2\.0 (\d{3})", payload)
        if m:
            out.append((call_id(payload), int(m.group(1))))


def main():
    if len(sys.argv) < 6:
        print(__doc__)
        return 2
    corpus, local_ip, local_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    server = (sys.argv[4], int(sys.argv[5]))
    iface = sys.argv[6] if len(sys.argv) > 6 else ""
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.bind((local_ip, local_port))
    # ETH_P_ALL: on a bridge port, protocol-specific packet sockets see nothing (the bridge
    # takes the frame before they are served); ETH_P_ALL taps come first.
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    if iface:
        rx.bind((iface, 0x0003))
    files = sorted(f for f in os.listdir(corpus) if f.endswith(".sip"))
    missing = sorted(set(EXPECTED) - set(files))
    unlisted = sorted(set(files) - set(EXPECTED))
    bad = 0
    if missing or unlisted:
        print(f"FAIL table: missing files {missing}, files without an expected outcome {unlisted}")
        bad += 1
    for name in files:
        if name not in EXPECTED:
            continue
        data = open(os.path.join(corpus, name), "rb").read()
        allowed, why = EXPECTED[name]
        cid = call_id(data)
        # drain what is left of earlier windows (retransmitted 407s and 401s)
        sniff_responses(rx, server[0], time.monotonic() + 0.05)
        tx.sendto(data, server)
        got = sniff_responses(rx, server[0], time.monotonic() + 0.7)
        # the final response decides (100 Trying comes first for an INVITE)
        mine = [st for c, st in got if st >= 200 and (cid is None or c == cid)]
        outcome = mine[0] if mine else NONE
        ok = outcome in allowed
        bad += 0 if ok else 1
        shown = "/".join(str(a) for a in sorted(allowed, key=str))
        print(f"{'ok  ' if ok else 'FAIL'} {name:16} got {outcome!s:5} expected {shown:9} {why}")
    print(f"rfc4475: {len(files)} messages, {bad} with an unexpected outcome")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
