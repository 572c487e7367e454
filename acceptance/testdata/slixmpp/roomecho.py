#!/usr/bin/python3
"""The slixmpp side of the browser acceptance test (browser_test.go).

It logs in, joins (and so creates) the room, accepts the default
configuration (an instant room, XEP-0045 section 10.1.2), prints READY,
waits for HEAR from the browser's nick, answers SAY and waits for the room
to echo its answer back, so that the browser's client has it too.

Exit codes: 0 success, 1 failed step or timeout, 2 bad arguments, 3
slixmpp missing. Meant for Debian's python3-slixmpp (1.8).
"""

import argparse
import asyncio
import sys

from peer import new_xmpp, slixmpp


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5222)
    p.add_argument("--jid", required=True)
    p.add_argument("--password", default="password")
    p.add_argument("--room", required=True)
    p.add_argument("--nick", required=True)
    p.add_argument("--peer-nick", required=True, help="the browser's nick")
    p.add_argument("--hear", required=True, help="the browser's message")
    p.add_argument("--say", required=True, help="the answer")
    p.add_argument("--timeout", type=float, default=30)
    a = p.parse_args()

    def step(text):
        print("slixmpp: %s" % text, flush=True)

    xmpp = new_xmpp(a.jid + "/roomecho", a.password, ("xep_0030", "xep_0004", "xep_0045"))
    inbox = asyncio.Queue()
    session = asyncio.get_event_loop().create_future()
    xmpp.add_event_handler("session_start", lambda _: session.done() or session.set_result(True))
    xmpp.add_event_handler("failed_auth", lambda _: session.done() or session.set_exception(RuntimeError("auth failed")))
    xmpp.add_event_handler("groupchat_message", inbox.put_nowait)
    own = asyncio.get_event_loop().create_future()

    def presence(pres):
        if pres["from"] == slixmpp.JID("%s/%s" % (a.room, a.nick)) and not own.done():
            own.set_result(pres)
    xmpp.add_event_handler("presence", presence)

    async def hear(nick, body):
        who = slixmpp.JID("%s/%s" % (a.room, nick))
        while True:
            m = await inbox.get()
            if m["from"] == who and m["body"] == body:
                step("heard %r from %s" % (body, nick))
                return

    async def run():
        xmpp.connect((a.host, a.port), force_starttls=False)
        await session
        step("logged in as %s" % xmpp.boundjid)
        pres = xmpp.make_presence(pto="%s/%s" % (a.room, a.nick))
        pres.append(slixmpp.ET.Element("{http://jabber.org/protocol/muc}x"))
        pres.send()
        pres = await own
        codes = {s.get("code") for s in pres.xml.iter("{http://jabber.org/protocol/muc#user}status")}
        if "201" in codes:
            # Accept the default configuration: the room opens at once.
            iq = xmpp.make_iq_set(ito=a.room)
            q = slixmpp.ET.SubElement(iq.xml, "{http://jabber.org/protocol/muc#owner}query")
            x = slixmpp.ET.SubElement(q, "{jabber:x:data}x")
            x.set("type", "submit")
            await iq.send()
        step("in %s (status %s)" % (a.room, " ".join(sorted(codes))))
        print("READY", flush=True)
        await hear(a.peer_nick, a.hear)
        xmpp.send_message(mto=a.room, mbody=a.say, mtype="groupchat")
        await hear(a.nick, a.say)

    try:
        asyncio.get_event_loop().run_until_complete(asyncio.wait_for(run(), a.timeout))
    except Exception as err:  # a timeout or a failed step
        print("slixmpp: failed: %r" % err, file=sys.stderr)
        sys.exit(1)
    xmpp.disconnect()
    sys.exit(0)


if __name__ == "__main__":
    main()
