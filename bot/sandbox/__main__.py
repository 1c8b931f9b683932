"""`python -m bot.sandbox`: the sandbox Bot API alone, in its own process (benchmarks, load tests).

    python -m bot.sandbox --port 0 --scale 10 --users 5000000:10000

prints `sandbox ready http://127.0.0.1:PORT` once it listens, then serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from bot.sandbox import Limits, SandboxServer, SandboxUser


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--token", default="123456:SANDBOX")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every limit (rate and burst)")
    parser.add_argument("--no-limits", action="store_true", help="answer no 429 at all")
    parser.add_argument("--users", default="", help="FIRST:COUNT users (and private chats) to create")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    server = SandboxServer(
        token=args.token,
        host=args.host,
        port=args.port,
        limits=Limits(scale=args.scale, enabled=not args.no_limits),
    )
    if args.users:
        first, count = (int(part) for part in args.users.split(":"))
        for user_id in range(first, first + count):
            server.add_user(SandboxUser(id=user_id, first_name=f"U{user_id}"))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await server.start()
    print(f"sandbox ready {server.url}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(serve(_parse(argv)))


if __name__ == "__main__":
    main()
