#!/usr/bin/env python3
"""Checks on the captures taken on the namespace side of each veth (tshark reads them; IP
fragments are reassembled by tshark, so a datagram is checked whole).

  capture_check.py topology ACCESS.pcapng CORE.pcapng OUR_ACC OUR_CORE CORE_PREFIX ACC_PREFIX [LAN_PREFIX]
      Topology hiding (DESIGN.md §4): in what Palisade sends to the PBX side (source OUR_ACC) no
      core address (CORE_PREFIX...) appears, and in what it sends to the core (source OUR_CORE)
      no access-side address (ACC_PREFIX..., LAN_PREFIX...), except in the SDP body and the
      Call-ID, which pass through by design. Needs at least one INVITE forwarded to the core
      and one 200 for an INVITE sent to the PBX side, so that it can never pass on nothing.
  capture_check.py fragments ACCESS.pcapng OUR_ACC
      A response larger than the MTU left Palisade in IP fragments: at least one fragment with
      More Fragments set from OUR_ACC, and a SIP response from it over 1500 bytes.
Exit 0 when the check holds; 1 with the offending messages otherwise.
"""
import re
import subprocess
import sys


def datagrams(pcap, src):
    """SIP payloads (bytes) that src sent, in capture order (reassembled)."""
    out = subprocess.run(
        ["tshark", "-r", pcap, "-o", "ip.defragment:TRUE", "-Y", f"ip.src == {src} && udp",
         "-T", "fields", "-e", "udp.payload"],
        capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"tshark -r {pcap}: {out.stderr.strip()[:300]}")
    res = []
    for line in out.stdout.splitlines():
        h = line.strip().replace(":", "")
        if h:
            res.append(bytes.fromhex(h))
    return res


def headers_without_call_id(msg):
    head = msg.split(b"\r\n\r\n", 1)[0]
    lines = [l for l in head.split(b"\r\n") if not re.match(rb"(?i)(call-id|i)\s*:", l)]
    return b"\r\n".join(lines)


def topology(access, core, our_acc, our_core, core_prefix, *acc_prefixes):
    bad = []
    to_pbx = datagrams(access, our_acc)
    to_core = datagrams(core, our_core)
    invites_to_core = [m for m in to_core if m.startswith(b"INVITE ")]
    ok200_to_pbx = [m for m in to_pbx if m.startswith(b"SIP/2.0 200") and re.search(rb"(?im)^CSeq:\s*\d+\s+INVITE", m)]
    for m in to_pbx:
        if core_prefix.encode() in headers_without_call_id(m):
            bad.append(("to the PBX side, a core address", m))
    for m in to_core:
        h = headers_without_call_id(m)
        for p in acc_prefixes:
            if p.encode() in h:
                bad.append((f"to the core, an access address ({p}*)", m))
                break
    print(f"topology: {len(to_pbx)} messages to the PBX side, {len(to_core)} to the core "
          f"({len(invites_to_core)} INVITEs forwarded, {len(ok200_to_pbx)} 200s for INVITEs to the PBX side)")
    for what, m in bad[:5]:
        head = m.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
        print(f"LEAK {what}:\n{head}\n")
    if not invites_to_core or not ok200_to_pbx:
        print("FAIL: no forwarded call in the captures: nothing to check")
        return 1
    if bad:
        print(f"FAIL: {len(bad)} message(s) leak addresses across Palisade")
        return 1
    print("topology hidden on both sides")
    return 0


def fragments(access, our_acc):
    out = subprocess.run(
        ["tshark", "-r", access, "-o", "ip.defragment:FALSE", "-Y",
         f"ip.src == {our_acc} && ip.flags.mf == 1", "-T", "fields", "-e", "frame.number"],
        capture_output=True, text=True, check=False)
    frags = len(out.stdout.split())
    big = [m for m in datagrams(access, our_acc) if m.startswith(b"SIP/2.0") and len(m) > 1500]
    print(f"fragments: {frags} fragment(s) with MF set from {our_acc}; {len(big)} response(s) over 1500 bytes")
    return 0 if frags and big else 1


def main():
    if len(sys.argv) >= 7 and sys.argv[1] == "topology":
        return topology(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], *sys.argv[7:])
    if len(sys.argv) == 4 and sys.argv[1] == "fragments":
        return fragments(sys.argv[2], sys.argv[3])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
