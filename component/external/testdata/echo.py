#!/usr/bin/python3
"""An XEP-0114 external component written with slixmpp (Debian's
python3-slixmpp): it connects to HOST:PORT as DOMAIN with SECRET, prints
READY once the handshake has succeeded, answers every chat message with the
same body prefixed by "echo: ", and exits 0 after its first echo (1 on a
failed handshake or timeout, 3 when slixmpp is missing)."""

import argparse
import asyncio
import logging
import sys

try:
    import slixmpp
    from slixmpp.componentxmpp import ComponentXMPP
except ImportError as err:
    print("slixmpp is not installed: %s" % err, file=sys.stderr)
    sys.exit(3)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--domain", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.ERROR, stream=sys.stderr)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    comp = ComponentXMPP(args.domain, args.secret, args.host, args.port)
    done = loop.create_future()

    def ready(_):
        print("READY", flush=True)

    def message(msg):
        if msg["type"] in ("chat", "normal") and msg["body"]:
            reply = msg.reply("echo: " + msg["body"])
            reply.send()
            if not done.done():
                done.set_result(True)

    def failed(why):
        if not done.done():
            done.set_exception(RuntimeError(why))

    comp.add_event_handler("session_start", ready)
    comp.add_event_handler("message", message)
    comp.add_event_handler("disconnected", lambda _: failed("disconnected"))
    comp.add_event_handler("connection_failed", lambda err: failed("cannot connect: %s" % err))
    comp.connect()
    try:
        loop.run_until_complete(asyncio.wait_for(done, args.timeout))
    except Exception as err:  # a failed handshake, a timeout
        print("FAIL: %s" % (err or "timed out"), file=sys.stderr, flush=True)
        sys.exit(1)
    loop.run_until_complete(comp.disconnect(wait=1))
    print("ok", flush=True)


if __name__ == "__main__":
    main()
