#!/usr/bin/env bash
# Installs every Debian package Palisade needs and prepares hugepages when it can.
# Idempotent: a second run installs nothing and changes nothing. Needs root.
set -euo pipefail

PACKAGES=(
  # build
  build-essential meson ninja-build pkg-config clang-14 libclang-rt-14-dev lld-14
  clang-format clang-tidy
  # data plane and policy
  dpdk dpdk-dev libdpdk-dev libhyperscan-dev libboost-dev libtbb-dev libnuma-dev
  # control plane
  libtomlplusplus-dev libssl-dev libsqlite3-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # peer SIP stacks for the parser benchmark
  libosip2-dev libsofia-sip-ua-dev libre-dev
  # end-to-end: network namespaces, SIP peers, captures
  sip-tester tshark iproute2 ethtool nftables baresip-core
  python3 python3-phonenumbers python3-regex jq
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Hugepages: used when available, never required (EAL falls back to --no-huge).
if [ -w /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages ]; then
  cur=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
  if [ "$cur" -lt 512 ]; then
    echo 512 >/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages 2>/dev/null || true
  fi
  mkdir -p /dev/hugepages
  mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || \
    echo "setup: hugepages unavailable, EAL will run with --no-huge"
fi
exit 0
