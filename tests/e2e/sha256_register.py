#!/usr/bin/env python3
"""REGISTER with a SHA-256 digest (RFC 7616, RFC 8760) against Palisade: the project's own small
test client, since SIPp 3.6 does MD5 only. Python 3 standard library only (hashlib, socket).

Usage: sha256_register.py LOCAL_IP LOCAL_PORT SERVER_IP SERVER_PORT USERNAME PASSWORD [EXPIRES [ANSWER_S]]
Sends a REGISTER without credentials, expects 401 with a WWW-Authenticate offering
algorithm=SHA-256, answers it (qop=auth, nc=00000001), and expects 200 listing our contact.
With ANSWER_S, then stays ANSWER_S seconds on the same address answering every OPTIONS
(Palisade's keepalive, RFC 3261 §11.2) with 200, and prints how many it answered.
Exit 0 on success; 1 with a message otherwise. Run inside the test's network namespace.
"""
import hashlib
import os
import re
import socket
import sys
import time


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def request(local, server, user, cseq, call_id, expires, auth=None):
    lines = [
        f"REGISTER sip:{server[0]}:{server[1]} SIP/2.0",
        f"Via: SIP/2.0/UDP {local[0]}:{local[1]};branch=z9hG4bK{os.urandom(6).hex()};rport",
        "Max-Forwards: 70",
        f"From: <sip:{user}@{server[0]}>;tag={os.urandom(4).hex()}",
        f"To: <sip:{user}@{server[0]}>",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} REGISTER",
        f"Contact: <sip:{user}@{local[0]}:{local[1]}>",
        f"Expires: {expires}",
    ]
    if auth:
        lines.append(auth)
    lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def exchange(sock, data, server):
    for _ in range(4):  # RFC 3261 timer A, roughly
        sock.sendto(data, server)
        try:
            reply, _ = sock.recvfrom(65535)
            return reply.decode(errors="replace")
        except socket.timeout:
            continue
    raise SystemExit("FAIL: no response from " + f"{server[0]}:{server[1]}")


def status(reply):
    m = re.match(r"SIP/2\.0 (\d{3})", reply)
    return int(m.group(1)) if m else 0


def challenges(reply):
    """Every WWW-Authenticate header's parameters, in order."""
    out = []
    for line in reply.split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() != "www-authenticate":
            continue
        value = value.strip()
        if not value.lower().startswith("digest"):
            continue
        params = dict((k.lower(), v.strip('"')) for k, v in
                      re.findall(r'(\w+)=("[^"]*"|[^,\s]+)', value[6:]))
        out.append(params)
    return out


def main():
    if len(sys.argv) < 7:
        raise SystemExit(__doc__)
    local = (sys.argv[1], int(sys.argv[2]))
    server = (sys.argv[3], int(sys.argv[4]))
    user, password = sys.argv[5], sys.argv[6]
    expires = int(sys.argv[7]) if len(sys.argv) > 7 else 600
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(local)
    sock.settimeout(1.0)
    call_id = os.urandom(8).hex() + "@sha256-test"

    first = exchange(sock, request(local, server, user, 1, call_id, expires), server)
    if status(first) != 401:
        raise SystemExit(f"FAIL: expected 401, got:\n{first}")
    sha = [c for c in challenges(first) if c.get("algorithm", "MD5").upper() == "SHA-256"]
    if not sha:
        raise SystemExit(f"FAIL: no SHA-256 challenge in:\n{first}")
    c = sha[0]
    realm, nonce = c["realm"], c["nonce"]
    uri = f"sip:{server[0]}:{server[1]}"
    cnonce, nc = os.urandom(8).hex(), "00000001"
    ha1 = sha256(f"{user}:{realm}:{password}")
    ha2 = sha256(f"REGISTER:{uri}")
    response = sha256(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
    auth = (f'Authorization: Digest username="{user}", realm="{realm}", nonce="{nonce}", '
            f'uri="{uri}", response="{response}", algorithm=SHA-256, cnonce="{cnonce}", '
            f'qop=auth, nc={nc}')
    if "opaque" in c:
        auth += f', opaque="{c["opaque"]}"'
    second = exchange(sock, request(local, server, user, 2, call_id, expires, auth), server)
    if status(second) != 200:
        raise SystemExit(f"FAIL: expected 200 to the SHA-256 credentials, got:\n{second}")
    if f"{local[0]}:{local[1]}" not in second:
        raise SystemExit(f"FAIL: the 200 does not list our contact:\n{second}")
    print(f"sha256_register: {user}: 401 (SHA-256 challenge) then 200")
    answer_s = float(sys.argv[8]) if len(sys.argv) > 8 else 0
    if answer_s > 0:
        print(f"sha256_register: answered {answer_options(sock, answer_s)} OPTIONS")
    return 0


def answer_options(sock, seconds):
    """Answers every OPTIONS for `seconds` with 200 (the request's Via, From, To, Call-ID, CSeq)."""
    deadline = time.monotonic() + seconds
    answered = 0
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data, peer = sock.recvfrom(65535)
        except socket.timeout:
            break
        text = data.decode(errors="replace")
        if not text.startswith("OPTIONS "):
            continue
        copied = [line for line in text.split("\r\n")
                  if line.split(":", 1)[0].strip().lower() in ("via", "v", "from", "f", "to", "t",
                                                                "call-id", "i", "cseq")]
        reply = "\r\n".join(["SIP/2.0 200 OK"] + copied + ["Content-Length: 0", "", ""])
        sock.sendto(reply.encode(), peer)
        answered += 1
    return answered


if __name__ == "__main__":
    sys.exit(main())
