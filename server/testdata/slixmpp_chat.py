#!/usr/bin/python3
"""Two slixmpp clients log in to the server under test and chat.

Alice and Bob connect with slixmpp's defaults (STARTTLS when offered, the
strongest SASL mechanism offered), with certificate checks off because the
server's certificate is self-signed. Both send initial presence; Alice
sends Bob a chat message to his bare JID, Bob answers to her full JID, and
the script exits 0 once Alice has the answer. It prints one line per step
and exits 1 on failure or timeout, 3 when slixmpp is missing.

usage: slixmpp_chat.py HOST PORT ALICE_JID ALICE_PASSWORD BOB_JID BOB_PASSWORD
"""

import asyncio
import ssl
import sys

try:
    import slixmpp
except ImportError as err:
    print("slixmpp is not installed: %s" % err, file=sys.stderr)
    sys.exit(3)

TIMEOUT = 20


def client(jid, password, host, port, loop):
    x = slixmpp.ClientXMPP(jid + "/slixmpp", password)
    x.ssl_context.check_hostname = False
    x.ssl_context.verify_mode = ssl.CERT_NONE
    x.online = loop.create_future()
    x.messages = asyncio.Queue()

    def failed(_):
        if not x.online.done():
            x.online.set_exception(RuntimeError("%s: authentication failed" % jid))

    async def session_start(_):
        x.send_presence()
        await x.get_roster()
        if not x.online.done():
            x.online.set_result(True)

    x.add_event_handler("session_start", session_start)
    x.add_event_handler("failed_all_auth", failed)
    x.add_event_handler("message", lambda msg: x.messages.put_nowait(msg))
    x.connect(address=(host, port))
    return x


async def scenario(host, port, alice_jid, alice_pw, bob_jid, bob_pw):
    loop = asyncio.get_running_loop()
    alice = client(alice_jid, alice_pw, host, port, loop)
    bob = client(bob_jid, bob_pw, host, port, loop)
    await asyncio.gather(alice.online, bob.online)
    print("both online: %s %s" % (alice.boundjid, bob.boundjid), flush=True)
    if not str(alice.boundjid).startswith(alice_jid + "/"):
        raise RuntimeError("alice bound %s" % alice.boundjid)

    alice.send_message(mto=bob_jid, mbody="Hello Bob", mtype="chat")
    msg = await bob.messages.get()
    if msg["body"] != "Hello Bob" or msg["from"] != alice.boundjid:
        raise RuntimeError("bob got %s" % msg)
    print("bob received: %s from %s" % (msg["body"], msg["from"]), flush=True)

    bob.send_message(mto=msg["from"], mbody="Hello Alice", mtype="chat")
    msg = await alice.messages.get()
    if msg["body"] != "Hello Alice" or msg["from"] != bob.boundjid:
        raise RuntimeError("alice got %s" % msg)
    print("alice received: %s from %s" % (msg["body"], msg["from"]), flush=True)

    for x in (alice, bob):
        x.disconnect()
    await asyncio.gather(alice.disconnected, bob.disconnected)
    print("ok", flush=True)


def main():
    if len(sys.argv) != 7:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    host, port = sys.argv[1], int(sys.argv[2])
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(asyncio.wait_for(scenario(host, port, *sys.argv[3:]), TIMEOUT))
    except Exception as err:  # noqa: BLE001 - report any failure as exit 1
        print("FAIL: %r" % err, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
