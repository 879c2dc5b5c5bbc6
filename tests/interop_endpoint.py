#!/usr/bin/env python3
"""The traffic ends of the interop matrix (ci/interop.sh, docs/interop.md).

One MPTCP connection (IPPROTO_MPTCP sockets) between `server` and `client`, bounded in bytes
and seconds. Python, not C++, so that the same file runs unchanged wherever a peer's kernel
is: in a private network namespace of the host, or in a VM guest (which sees the host's root
read-only) through `mpdrill agent`. The server takes its work from the client's first line,
`MODE BYTES\\n`, so one server command serves every scenario:

  echo       the client sends BYTES, the server sends every byte back (bulk both ways)
  fastclose  the client sends until BYTES went out, then closes abortively (SO_LINGER 0:
             Linux sends MP_FASTCLOSE); the server reads until the reset or EOF

Both print one line `client|server ok sent=N received=N seconds=S` (exit 0) or
`client|server error: WHAT` (exit 1). The server prints `listening` once it listens.
"""
import argparse
import select
import socket
import struct
import sys
import time

IPPROTO_MPTCP = 262
CHUNK = 16384


def fail(role, what):
    print(f"{role} error: {what}", flush=True)
    return 1


def done(role, sent, received, start):
    print(f"{role} ok sent={sent} received={received} seconds={time.monotonic() - start:.2f}",
          flush=True)
    return 0


def family_of(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def left(deadline):
    return deadline - time.monotonic()


def read_line(sock, deadline):
    line = b""
    while not line.endswith(b"\n"):
        if left(deadline) <= 0 or len(line) > 64:
            return None
        ready, _, _ = select.select([sock], [], [], min(0.2, max(left(deadline), 0)))
        if not ready:
            continue
        byte = sock.recv(1)
        if not byte:
            return None
        line += byte
    return line.decode("ascii", "replace").strip()


def serve(args):
    start = time.monotonic()
    deadline = start + args.seconds
    listener = socket.socket(family_of(args.bind), socket.SOCK_STREAM, IPPROTO_MPTCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.bind, args.port))
    listener.listen(4)
    print("listening", flush=True)
    ready, _, _ = select.select([listener], [], [], args.seconds)
    if not ready:
        return fail("server", "no connection")
    conn, _ = listener.accept()
    # The listener stays open: Linux takes the joins (MP_JOIN SYNs) of the connection through
    # it, and resets them once it is closed.
    request = read_line(conn, deadline)
    if request is None or len(request.split()) != 2:
        return fail("server", f"bad request {request!r}")
    mode, _ = request.split()
    conn.setblocking(False)
    sent = received = 0
    pending = b""
    eof = False
    while not eof or pending:
        if left(deadline) <= 0:
            return fail("server", f"deadline: sent={sent} received={received}")
        want_write = [conn] if pending else []
        readable, writable, _ = select.select([] if eof else [conn], want_write, [], 0.2)
        try:
            if readable:
                data = conn.recv(CHUNK)
                if not data:
                    eof = True
                received += len(data)
                if mode == "echo":
                    pending += data
            if writable and pending:
                n = conn.send(pending[:CHUNK])
                sent += n
                pending = pending[n:]
        except (ConnectionResetError, BrokenPipeError) as e:
            if mode == "fastclose":
                return done("server", sent, received, start)
            return fail("server", f"{e}: sent={sent} received={received}")
        except BlockingIOError:
            pass
    conn.close()
    listener.close()
    return done("server", sent, received, start)


def connect(args, deadline):
    sock = socket.socket(family_of(args.connect), socket.SOCK_STREAM, IPPROTO_MPTCP)
    sock.bind((args.bind, 0))
    sock.settimeout(max(left(deadline), 0.1))
    sock.connect((args.connect, args.port))
    return sock


def client(args):
    start = time.monotonic()
    deadline = start + args.seconds
    try:
        sock = connect(args, deadline)
    except OSError as e:
        return fail("client", f"connect: {e}")
    sock.sendall(f"{args.mode} {args.bytes}\n".encode())
    sock.setblocking(False)
    payload = bytes((ord("a") + i % 26) for i in range(CHUNK))
    sent = received = 0
    expect_back = args.bytes if args.mode == "echo" else 0
    shut = False
    while True:
        now = time.monotonic()
        if now > deadline:
            return fail("client", f"deadline: sent={sent} received={received}")
        # Paced: at most `rate` bytes per second, in whole chunks (no tiny segments), so
        # events land in the middle of the transfer.
        allowed = args.bytes if args.rate <= 0 else min(args.bytes, int((now - start) * args.rate))
        if args.mode == "fastclose" and sent >= args.bytes:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            return done("client", sent, received, start)
        if sent >= args.bytes and not shut and args.mode == "echo":
            sock.shutdown(socket.SHUT_WR)
            shut = True
        step = min(CHUNK, args.bytes - sent)
        want_write = [sock] if step > 0 and allowed - sent >= step else []
        readable, writable, _ = select.select([sock], want_write, [], 0.02)
        try:
            if writable:
                sent += sock.send(payload[:step])
            if readable:
                data = sock.recv(CHUNK)
                if not data:
                    break
                received += len(data)
        except BlockingIOError:
            pass
        except OSError as e:
            return fail("client", f"{e}: sent={sent} received={received}")
    sock.close()
    if received != expect_back:
        return fail("client", f"received {received} of {expect_back}")
    return done("client", sent, received, start)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", choices=["server", "client"])
    parser.add_argument("--bind", required=True, help="local address")
    parser.add_argument("--connect", help="client: the server's address")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--mode", choices=["echo", "fastclose"], default="echo")
    parser.add_argument("--bytes", type=int, default=1 << 20)
    parser.add_argument("--rate", type=int, default=0, help="client: bytes per second, 0: no limit")
    parser.add_argument("--seconds", type=float, default=15.0, help="the whole run's bound")
    args = parser.parse_args()
    try:
        return serve(args) if args.role == "server" else client(args)
    except OSError as e:
        return fail(args.role, str(e))


if __name__ == "__main__":
    sys.exit(main())
