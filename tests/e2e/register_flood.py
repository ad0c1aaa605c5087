#!/usr/bin/env python3
"""Registers accounts over and over with SHA-256 digest (see sha256_register.py) until killed or
SECONDS pass, and logs every 200 as "UNIX_TIME USERNAME EXPIRES" (one line each, flushed), so
that a test can kill the daemon mid-flow and check after a restart that every binding confirmed
more than one second before the kill is back (issue 5 point 7).

Usage: register_flood.py LOCAL_IP LOCAL_PORT SERVER_IP SERVER_PORT PASSWORD_PREFIX LOG SECONDS USER...
The password of USER is PASSWORD_PREFIX + USER.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sha256_register as s  # noqa: E402


def register(sock, local, server, user, password, expires):
    call_id = os.urandom(8).hex() + "@flood"
    first = s.exchange(sock, s.request(local, server, user, 1, call_id, expires), server)
    c = [c for c in s.challenges(first) if c.get("algorithm", "MD5").upper() == "SHA-256"][0]
    uri = f"sip:{server[0]}:{server[1]}"
    cnonce, nc = os.urandom(8).hex(), "00000001"
    ha1 = s.sha256(f"{user}:{c['realm']}:{password}")
    ha2 = s.sha256(f"REGISTER:{uri}")
    resp = s.sha256(f"{ha1}:{c['nonce']}:{nc}:{cnonce}:auth:{ha2}")
    auth = (f'Authorization: Digest username="{user}", realm="{c["realm"]}", nonce="{c["nonce"]}", '
            f'uri="{uri}", response="{resp}", algorithm=SHA-256, cnonce="{cnonce}", qop=auth, nc={nc}')
    second = s.exchange(sock, s.request(local, server, user, 2, call_id, expires, auth), server)
    return s.status(second)


def main():
    local = (sys.argv[1], int(sys.argv[2]))
    server = (sys.argv[3], int(sys.argv[4]))
    prefix, log, seconds, users = sys.argv[5], sys.argv[6], float(sys.argv[7]), sys.argv[8:]
    sock = s.socket.socket(s.socket.AF_INET, s.socket.SOCK_DGRAM)
    sock.bind(local)
    sock.settimeout(0.3)
    deadline = time.monotonic() + seconds
    n = 0
    with open(log, "a", buffering=1) as out:
        while time.monotonic() < deadline:
            user = users[n % len(users)]
            expires = 600 + n % 300  # a new expiry on every refresh, so a lost refresh shows
            try:
                code = register(sock, local, server, user, prefix + user, expires)
            except (SystemExit, IndexError, KeyError):
                break  # the daemon is gone (killed by the test)
            if code == 200:
                out.write(f"{time.time():.3f} {user} {expires}\n")
            n += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
