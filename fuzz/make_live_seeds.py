#!/usr/bin/env python3
"""Writes the seed inputs of live_fuzzer into corpus/live_fuzzer/ (docs/fuzzing.md).

Each seed is one scenario in the harness's input layout (fuzz/live_fuzzer.cc): a header
(ISN u32, key u64, handshake byte), then steps (an action byte and its arguments), all
big-endian, read front to back; 0 is always the conforming choice.

  python3 fuzz/make_live_seeds.py [DIR]
"""
import os
import struct
import sys

DATA, DATA_ACK, ADD_ADDR, REMOVE_ADDR, MP_PRIO, MP_FAIL, FASTCLOSE, JOIN, RAW, FIN, TCPRST, WAIT = range(12)
APP_WRITE = 0xF0  # action bytes 0xf0-0xff: the kernel's application writes
# Handshake byte bits.
CHECKSUMS, ANY_FLAGS, ANY_VERSION, WRONG_KEY, NO_MPC, KERNEL_CLIENT, REFUSE_JOINS, FAMILY = (
    0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80)
# The byte after the handshake byte when it has FAMILY (modulo 3); without FAMILY: IPv4.
IPV4, IPV4_MAPPED_IPV6, IPV6 = range(3)


def header(isn=0x1000, key=0x0123456789ABCDEF, how=0, *extra, family=None):
    if family is None:
        return struct.pack(">IQB", isn, key, how) + bytes(extra)
    return struct.pack(">IQBB", isn, key, how | FAMILY, family) + bytes(extra)


def data(length, how=0, flow=0, *extra):
    return bytes([DATA, how, flow]) + struct.pack(">H", length - 1) + bytes(extra)


SEEDS = {
    # MPTCP handshake, data both ways acknowledged, DATA_FIN and FIN.
    "data_datafin": header() + data(1000) + data(400) + bytes([DATA_ACK, 0, 0])
    + bytes([FIN, 0x03, 0]) + bytes([WAIT, 20]),
    # Checksums on; the second segment's checksum is wrong (the kernel answers MP_FAIL or
    # falls back).
    "checksum_bad": header(how=1) + data(500) + data(500, 0x20, 0, 0x12, 0x34)
    + data(500) + bytes([WAIT, 30]),
    # A joined subflow with the right token and HMAC, data on it, MP_PRIO, then a RST with
    # MP_TCPRST on it.
    "join_data": header() + data(100) + bytes([JOIN, 0]) + struct.pack(">II", 0x5000, 0x77)
    + bytes([1]) + data(300, 0, 1) + bytes([MP_PRIO, 1, 1]) + bytes([TCPRST, 1, 0, 1]),
    # A join with a wrong token, then one with a bad third-ACK HMAC.
    "join_bad": header() + bytes([JOIN, 0x01]) + struct.pack(">III", 0x6000, 0x99, 0xFFFF)
    + b"\x00" + bytes([JOIN, 0x04]) + struct.pack(">II", 0x7000, 0x42)
    + bytes([2, 3]),
    # ADD_ADDR with the right HMAC, one with a wrong HMAC, then REMOVE_ADDR.
    "add_remove_addr": header() + bytes([ADD_ADDR, 0x00, 5, 20, 0])
    + bytes([ADD_ADDR, 0x0C, 6, 21]) + struct.pack(">HQ", 8081, 0xDEAD) + b"\x00"
    + bytes([REMOVE_ADDR, 0, 5, 0]) + bytes([WAIT, 10]),
    # MP_FASTCLOSE with the kernel's key on an ACK, then a wrong one on a RST.
    "fastclose": header() + data(200) + bytes([FASTCLOSE]) + struct.pack(">Q", 0) + b"\x00"
    + bytes([WAIT, 10]),
    "fastclose_bad_key": header() + bytes([FASTCLOSE]) + struct.pack(">Q", 0x10) + b"\x01",
    # MP_FAIL for data the kernel never saw fail, on an ACK and on a RST.
    "mp_fail": header(how=1) + data(300) + bytes([MP_FAIL]) + struct.pack(">H", 300)
    + bytes([0, 0]) + bytes([MP_FAIL]) + struct.pack(">H", 0) + bytes([1, 0]),
    # Raw kind-30 bytes: a DSS with a truncated length, an unknown subtype, a bare kind/length.
    "raw_options": header() + bytes([RAW, 6, 8, 0x20, 0x01, 0, 0, 0, 0, 0, 0])
    + bytes([RAW, 4, 6, 0x90, 0x00, 0xAA, 0xBB, 1, 0]) + bytes([RAW, 0, 2, 0, 0]),
    # Mappings that lie: a DSN off by a few bytes, a data-level length beyond the segment,
    # data without DSS, a 32-bit DSN, a DATA_FIN inside a data mapping.
    "bad_mappings": header() + data(100) + data(100, 0x02, 0, 0x00, 0x10)
    + data(100, 0x08, 0, 0x10, 0x00) + data(100, 0x01) + data(100, 0x04) + data(50, 0x40),
    # The handshake itself off the path: flags byte with reserved bits, version 0, the third
    # ACK echoing a wrong key or carrying no MP_CAPABLE.
    "handshake_flags": header(0x2000, 0x42, 0x02, 0xFF) + data(10),
    "handshake_v0": header(0x3000, 0x43, 0x04, 0x00) + data(10),
    "third_ack_wrong_key": header(0x4000, 0x44, 0x08) + struct.pack(">Q", 1) + data(10),
    "third_ack_plain": header(0x5000, 0x45, 0x10) + data(10),
    # The kernel's application writes 4000 bytes; mpdrill acknowledges them.
    "server_app_write": header() + data(100) + bytes([APP_WRITE]) + struct.pack(">H", 3999)
    + b"\x00" + bytes([DATA_ACK, 0, 0, WAIT, 20]),
    # The kernel as client: handshake, data both ways, DATA_FIN.
    "kernel_client": header(0x6000, 0x46, KERNEL_CLIENT) + data(500)
    + bytes([APP_WRITE]) + struct.pack(">H", 1999) + b"\x00" + bytes([FIN, 0x01, 0, WAIT, 20]),
    # The kernel as client with checksums; mpdrill offers 192.0.2.20 and 192.0.2.21:8081 and
    # answers the subflows the kernel opens to them; data then goes over them.
    "kernel_client_joins": header(0x7000, 0x47, KERNEL_CLIENT | CHECKSUMS)
    + bytes([ADD_ADDR, 0x00, 1, 20, 0]) + bytes([WAIT, 30])
    + bytes([ADD_ADDR, 0x04, 2, 21]) + struct.pack(">H", 8081) + b"\x00" + bytes([WAIT, 30])
    + bytes([APP_WRITE]) + struct.pack(">H", 7999) + b"\x00" + bytes([WAIT, 20]),
    # The same, mpdrill refusing the kernel's subflows (RST, MP_TCPRST).
    "kernel_client_refused_joins": header(0x8000, 0x48, KERNEL_CLIENT | REFUSE_JOINS)
    + bytes([ADD_ADDR, 0x00, 1, 22, 0]) + bytes([WAIT, 30]) + data(100),
    # The kernel as client, mpdrill's SYN/ACK without MP_CAPABLE: plain TCP.
    "kernel_client_plain": header(0x9000, 0x49, KERNEL_CLIENT | NO_MPC)
    + bytes([APP_WRITE]) + struct.pack(">H", 999) + b"\x00",
    # The same scenarios over IPv6 (AF_INET6 sockets and wire) and ipv4-mapped-ipv6 (AF_INET6
    # sockets, ::ffff:a.b.c.d addresses, IPv4 wire).
    "ipv6_data_datafin": header(family=IPV6) + data(1000) + data(400) + bytes([DATA_ACK, 0, 0])
    + bytes([FIN, 0x03, 0]) + bytes([WAIT, 20]),
    "ipv6_join_data": header(0xA000, 0x4A, family=IPV6) + data(100) + bytes([JOIN, 0])
    + struct.pack(">II", 0x5000, 0x77) + bytes([1]) + data(300, 0, 1) + bytes([MP_PRIO, 1, 1])
    + bytes([APP_WRITE]) + struct.pack(">H", 2999) + b"\x01" + bytes([WAIT, 20]),
    # ADD_ADDR of 2001:db8::20 with the right HMAC, then REMOVE_ADDR; checksums on.
    "ipv6_add_remove_addr": header(0xB000, 0x4B, CHECKSUMS, family=IPV6)
    + bytes([ADD_ADDR, 0x02, 5, 0x20, 0]) + data(200) + bytes([REMOVE_ADDR, 0, 5, 0])
    + bytes([WAIT, 10]),
    # The kernel as an IPv6 client; it opens a subflow to the offered 2001:db8::21 port 8081.
    "ipv6_kernel_client_joins": header(0xC000, 0x4C, KERNEL_CLIENT, family=IPV6)
    + bytes([ADD_ADDR, 0x06, 1, 0x21]) + struct.pack(">H", 8081) + b"\x00" + bytes([WAIT, 30])
    + bytes([APP_WRITE]) + struct.pack(">H", 3999) + b"\x00" + bytes([WAIT, 20]),
    "mapped_data_datafin": header(family=IPV4_MAPPED_IPV6) + data(1000) + data(400)
    + bytes([DATA_ACK, 0, 0]) + bytes([APP_WRITE]) + struct.pack(">H", 1999) + b"\x00"
    + bytes([FIN, 0x03, 0]) + bytes([WAIT, 20]),
    "mapped_kernel_client_joins": header(0xD000, 0x4D, KERNEL_CLIENT | CHECKSUMS,
                                         family=IPV4_MAPPED_IPV6)
    + bytes([ADD_ADDR, 0x00, 1, 23, 0]) + bytes([WAIT, 30]) + data(500)
    + bytes([APP_WRITE]) + struct.pack(">H", 1999) + b"\x00" + bytes([WAIT, 20]),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "corpus", "live_fuzzer")
    os.makedirs(out, exist_ok=True)
    for name, blob in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(blob)
    print(f"{len(SEEDS)} seeds in {out}")


if __name__ == "__main__":
    main()
