#!/usr/bin/python3
"""slixmpp resumes a XEP-0198 stream after its TCP connection was cut.

Alice logs in with slixmpp's xep_0198 plugin (stream management with
resumption), Bob without. Bob sends Alice 20 numbered chat messages in one
burst; once Alice has read 5, her TCP connection is aborted (no closing
handshake: the rest of the burst is in flight or queued). While she is
away Bob sends 10 more. Alice then reconnects, slixmpp resumes the stream,
and the script checks that she got every message exactly once and in order.
It prints one line per step, exits 0 with "resumed OK", 1 on failure or
timeout, 3 when slixmpp is missing.

usage: slixmpp_resume.py HOST PORT ALICE_JID ALICE_PASSWORD BOB_JID BOB_PASSWORD
"""

import asyncio
import ssl
import sys

try:
    import slixmpp
except ImportError as err:
    print("slixmpp is not installed: %s" % err, file=sys.stderr)
    sys.exit(3)

TIMEOUT = 30
BURST, AWAY = 20, 10


def client(jid, password, sm):
    x = slixmpp.ClientXMPP(jid, password)
    x.ssl_context.check_hostname = False
    x.ssl_context.verify_mode = ssl.CERT_NONE
    x.register_plugin("xep_0030")
    x.register_plugin("xep_0199")
    if sm:
        x.register_plugin("xep_0198")
    x.online = asyncio.get_running_loop().create_future()
    x.got = []
    x.changed = asyncio.Event()

    async def session_start(_):
        x.send_presence()
        if not x.online.done():
            x.online.set_result(True)

    def message(msg):
        if msg["type"] == "chat" and msg["body"]:
            x.got.append(msg["body"])
            x.changed.set()

    x.add_event_handler("session_start", session_start)
    x.add_event_handler("message", message)
    return x


async def until(x, pred):
    while not pred():
        x.changed.clear()
        await x.changed.wait()


async def scenario(host, port, alice_jid, alice_pw, bob_jid, bob_pw):
    alice = client(alice_jid + "/phone", alice_pw, True)
    bob = client(bob_jid + "/pc", bob_pw, False)
    enabled = asyncio.get_running_loop().create_future()
    resumed = asyncio.get_running_loop().create_future()
    alice.add_event_handler("sm_enabled", lambda _: enabled.done() or enabled.set_result(True))
    alice.add_event_handler("session_resumed", lambda _: resumed.done() or resumed.set_result(True))
    alice.connect(address=(host, port))
    bob.connect(address=(host, port))
    await asyncio.gather(alice.online, bob.online, enabled)
    sm = alice.plugin["xep_0198"]
    print("online, alice's stream id %s" % sm.sm_id, flush=True)

    for i in range(BURST):
        bob.send_message(mto=str(alice.boundjid), mbody=str(i), mtype="chat")
    await until(alice, lambda: len(alice.got) >= 5)
    print("alice read %d, cutting her connection (handled %d)" % (len(alice.got), sm.handled), flush=True)
    lost = alice.disconnected
    alice.transport.abort()
    await lost
    print("alice disconnected", flush=True)

    for i in range(BURST, BURST + AWAY):
        bob.send_message(mto=str(alice.boundjid), mbody=str(i), mtype="chat")
    # A round trip, so that Bob's messages have reached the server.
    await bob.plugin["xep_0199"].ping(jid=bob.boundjid.domain, timeout=TIMEOUT)

    alice.connect(address=(host, port))
    await resumed
    # slixmpp clears its own unacked queue when it sends <resume/> and
    # then logs "Inconsistent sequence numbers" at <resumed/>: its
    # bookkeeping, not the server's (Alice sent nothing meanwhile).
    print("alice resumed", flush=True)
    total = BURST + AWAY
    await until(alice, lambda: len(alice.got) >= total)
    # Anything duplicated would come right after: a last round trip.
    await alice.plugin["xep_0030"].get_info(jid=alice.boundjid.domain, timeout=TIMEOUT)
    want = [str(i) for i in range(total)]
    if alice.got != want:
        raise RuntimeError("alice got %s, want %s" % (alice.got, want))
    print("resumed OK: %d messages, none lost or duplicated" % total, flush=True)
    alice.disconnect()
    bob.disconnect()


def main():
    if len(sys.argv) != 7:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    host, port = sys.argv[1], int(sys.argv[2])
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(asyncio.wait_for(scenario(host, port, *sys.argv[3:]), TIMEOUT))
    except Exception as err:
        print("FAILED: %r" % err, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
