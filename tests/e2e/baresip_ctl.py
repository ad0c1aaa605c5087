#!/usr/bin/env python3
"""Drives a headless baresip through its ctrl_tcp module (netstring-framed JSON, baresip 1.0):
sends one command and waits for one of the named events, printing every event it sees.

Usage: baresip_ctl.py HOST:PORT TIMEOUT_S COMMAND PARAMS WAIT_EVENT[,WAIT_EVENT...]
  e.g. baresip_ctl.py 127.0.0.1:4444 15 dial sip:+4930123456@10.77.1.1 CALL_ESTABLISHED
COMMAND "-" sends nothing (only waits). Exit 0 when a wanted event arrives in time; 1 when a
CALL_CLOSED (unless wanted) or the timeout comes first; 2 when the control socket is not there.
"""
import json
import socket
import sys
import time


def netstring(obj):
    data = json.dumps(obj).encode()
    return str(len(data)).encode() + b":" + data + b","


def messages(buf):
    """Splits complete netstrings off buf: (list of decoded objects, rest)."""
    out = []
    while True:
        colon = buf.find(b":")
        if colon <= 0 or not buf[:colon].isdigit():
            return out, buf
        n = int(buf[:colon])
        if len(buf) < colon + 1 + n + 1:
            return out, buf
        out.append(json.loads(buf[colon + 1:colon + 1 + n]))
        buf = buf[colon + 1 + n + 1:]


def main():
    if len(sys.argv) < 6:
        print(__doc__)
        return 2
    host, port = sys.argv[1].rsplit(":", 1)
    timeout = float(sys.argv[2])
    command, params = sys.argv[3], sys.argv[4]
    wanted = set(sys.argv[5].split(","))
    deadline = time.monotonic() + timeout
    sock = None
    while time.monotonic() < deadline:
        try:
            sock = socket.create_connection((host, int(port)), timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    if sock is None:
        print("baresip_ctl: no control socket")
        return 2
    if command != "-":
        sock.sendall(netstring({"command": command, "params": params, "token": "pe"}))
    buf = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        objs, buf = messages(buf + chunk)
        for o in objs:
            print(json.dumps(o))
            if o.get("event"):
                kind = o.get("type", "")
                if kind in wanted:
                    return 0
                if kind == "CALL_CLOSED":
                    return 1
    print("baresip_ctl: timed out waiting for " + ",".join(sorted(wanted)))
    return 1


if __name__ == "__main__":
    sys.exit(main())
