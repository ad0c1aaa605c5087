#!/usr/bin/env python3
"""A replayed nonce-count (RFC 7616 §3.4, RFC 2617 §3.2.2: the server must refuse a request
whose nc it has already seen for that nonce). SIPp cannot send one (it counts nc up on every
[authentication]), so this small client does, with MD5 (helpers of sha256_register.py).

Usage: digest_replay.py LOCAL_IP LOCAL_PORT SERVER_IP SERVER_PORT USERNAME PASSWORD
REGISTER, 401 (MD5 challenge), REGISTER with credentials nc=00000001: 200; then a NEW request
(CSeq 3) carrying exactly the same Authorization (same nonce, nc=00000001): must be refused with
401 (a fresh challenge). Exit 0 on that outcome; 1 with a message otherwise.
"""
import hashlib
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sha256_register import challenges, exchange, request, status  # noqa: E402


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def main():
    if len(sys.argv) < 7:
        raise SystemExit(__doc__)
    local = (sys.argv[1], int(sys.argv[2]))
    server = (sys.argv[3], int(sys.argv[4]))
    user, password = sys.argv[5], sys.argv[6]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(local)
    sock.settimeout(1.0)
    call_id = os.urandom(8).hex() + "@replay-test"
    first = exchange(sock, request(local, server, user, 1, call_id, 600), server)
    if status(first) != 401:
        raise SystemExit(f"FAIL: expected 401, got:\n{first}")
    md5c = [c for c in challenges(first) if c.get("algorithm", "MD5").upper() == "MD5"]
    if not md5c:
        raise SystemExit(f"FAIL: no MD5 challenge in:\n{first}")
    c = md5c[0]
    uri = f"sip:{server[0]}:{server[1]}"
    cnonce, nc = os.urandom(8).hex(), "00000001"
    ha1 = md5(f"{user}:{c['realm']}:{password}")
    response = md5(f"{ha1}:{c['nonce']}:{nc}:{cnonce}:auth:{md5('REGISTER:' + uri)}")
    auth = (f'Authorization: Digest username="{user}", realm="{c["realm"]}", nonce="{c["nonce"]}", '
            f'uri="{uri}", response="{response}", algorithm=MD5, cnonce="{cnonce}", qop=auth, nc={nc}')
    if "opaque" in c:
        auth += f', opaque="{c["opaque"]}"'
    second = exchange(sock, request(local, server, user, 2, call_id, 600, auth), server)
    if status(second) != 200:
        raise SystemExit(f"FAIL: expected 200 to the first use of nc=00000001, got:\n{second}")
    third = exchange(sock, request(local, server, user, 3, call_id, 600, auth), server)
    if status(third) != 401:
        raise SystemExit(f"FAIL: the replayed nc=00000001 got {status(third)}, expected 401:\n{third}")
    print(f"digest_replay: {user}: 401, 200, then the replayed nonce-count refused with 401")
    return 0


if __name__ == "__main__":
    sys.exit(main())
