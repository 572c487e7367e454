#!/usr/bin/python3
"""One side of the real-client MUC acceptance test, played by slixmpp.

Run as the room OWNER, it logs in, joins (and so creates) the room, fetches
the muc#owner configuration form and submits it with a room name (which
unlocks the room), sends a mediated invitation to the peer, waits for the
peer to join, says "hello from NICK" and waits for the peer's reply.

Run as the GUEST, it logs in, prints READY (the test waits for that line
before starting the owner), waits for the mediated invitation, joins, waits
for the owner's hello and answers it.

Each side asserts what it receives, prints one line per step, and exits 0
on success, 1 on a failed assertion or timeout, 2 on bad arguments. It is
meant for Debian's python3-slixmpp (1.8), hence /usr/bin/python3.
"""

import argparse
import asyncio

from peer import Failure, new_xmpp, run, slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import StanzaPath

NS_MUC_USER = "http://jabber.org/protocol/muc#user"
ROOM_NAME = "Real clients"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("role", choices=["owner", "guest"])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5222)
    p.add_argument("--jid", required=True, help="our bare JID, e.g. alice@localhost")
    p.add_argument("--password", default="password")
    p.add_argument("--resource", default="slixmpp")
    p.add_argument("--room", required=True, help="room JID, e.g. lobby@conference.localhost")
    p.add_argument("--nick", required=True)
    p.add_argument("--peer-jid", required=True, help="the other side's bare JID")
    p.add_argument("--peer-nick", required=True)
    p.add_argument("--tls", choices=["optional", "off"], default="optional",
                   help="optional: STARTTLS when offered, certificate not checked")
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("-v", "--verbose", action="store_true", help="log every stanza")
    return p.parse_args()


def step(args, text):
    print("slixmpp %s: %s" % (args.role, text), flush=True)


def status_codes(pres):
    x = pres.xml.find("{%s}x" % NS_MUC_USER)
    if x is None:
        return set()
    return {s.get("code") for s in x.findall("{%s}status" % NS_MUC_USER)}


class Peer:
    """A logged-in client whose incoming messages and presences are queued
    so the scenario can await them in order."""

    def __init__(self, args):
        self.args = args
        self.xmpp = new_xmpp("%s/%s" % (args.jid, args.resource), args.password,
                             ("xep_0030", "xep_0004", "xep_0045"))
        self.closing = False
        self.inbox = asyncio.Queue()
        self.session = asyncio.get_event_loop().create_future()
        self.xmpp.register_handler(Callback("realclients message", StanzaPath("message"), self.inbox.put_nowait))
        self.xmpp.register_handler(Callback("realclients presence", StanzaPath("presence"), self.inbox.put_nowait))
        self.xmpp.add_event_handler("session_start", self._session_start)
        self.xmpp.add_event_handler("failed_auth", lambda _: self._fail("authentication failed"))
        self.xmpp.add_event_handler("disconnected", lambda _: self._fail("disconnected"))
        self.xmpp.add_event_handler("connection_failed", lambda err: self._fail("cannot connect: %s" % err))

    def _session_start(self, _):
        if not self.session.done():
            self.session.set_result(True)

    def _fail(self, why):
        if self.closing:
            return
        if not self.session.done():
            self.session.set_exception(Failure(why))
        self.inbox.put_nowait(Failure(why))

    async def login(self):
        self.xmpp.connect((self.args.host, self.args.port),
                          force_starttls=False,
                          disable_starttls=self.args.tls == "off")
        await self.session
        self.xmpp.send_presence()
        step(self.args, "logged in as %s" % self.xmpp.boundjid)

    async def expect(self, what, pred):
        """Return the first queued stanza for which pred is true; stanzas of
        type error fail the test, others are skipped."""
        while True:
            st = await self.inbox.get()
            if isinstance(st, Failure):
                raise Failure("%s while waiting for %s" % (st, what))
            if st["type"] == "error":
                raise Failure("error stanza while waiting for %s: %s" % (what, st))
            if pred(st):
                return st
            if self.args.verbose:
                step(self.args, "skipping %s" % st)

    async def join(self, created):
        """Join the room and check our own presence: status 110, and 201
        (room created) when we are the first in."""
        a = self.args
        pres = self.xmpp.make_presence(pto="%s/%s" % (a.room, a.nick))
        pres.append(slixmpp.ET.Element("{http://jabber.org/protocol/muc}x"))
        pres.send()
        mine = slixmpp.JID("%s/%s" % (a.room, a.nick))
        pres = await self.expect("our own presence in the room",
                                 lambda p: p.name == "presence" and p["from"] == mine)
        codes = status_codes(pres)
        if "110" not in codes:
            raise Failure("own presence lacks status 110: %s" % pres)
        if created and "201" not in codes:
            raise Failure("room was not newly created (no status 201): %s" % pres)
        step(a, "joined %s as %s (status %s)" % (a.room, a.nick, " ".join(sorted(codes))))

    def say(self, text):
        self.xmpp.send_message(mto=self.args.room, mbody=text, mtype="groupchat")

    async def hear(self, nick, text):
        a = self.args
        who = slixmpp.JID("%s/%s" % (a.room, nick))
        msg = await self.expect("%r from %s" % (text, nick),
                                lambda m: m.name == "message" and m["type"] == "groupchat"
                                and m["from"] == who and m["body"])
        if msg["body"] != text:
            raise Failure("from %s: got %r, want %r" % (nick, msg["body"], text))
        step(a, "heard %r from %s" % (text, nick))


async def owner(p):
    a = p.args
    await p.join(created=True)
    form = await p.xmpp["xep_0045"].get_room_config(slixmpp.JID(a.room))
    fields = form.get_fields()
    if "muc#roomconfig_roomname" not in fields:
        raise Failure("config form has no muc#roomconfig_roomname: %s" % form)
    fields["muc#roomconfig_roomname"]["value"] = ROOM_NAME
    await p.xmpp["xep_0045"].set_room_config(slixmpp.JID(a.room), form)
    step(a, "configured the room (%d fields)" % len(fields))
    p.xmpp["xep_0045"].invite(slixmpp.JID(a.room), slixmpp.JID(a.peer_jid), reason="acceptance test")
    step(a, "invited %s" % a.peer_jid)
    peer = slixmpp.JID("%s/%s" % (a.room, a.peer_nick))
    await p.expect("%s joining" % a.peer_nick,
                   lambda st: st.name == "presence" and st["from"] == peer and st["type"] != "unavailable")
    step(a, "saw %s join" % a.peer_nick)
    p.say("hello from %s" % a.nick)
    await p.hear(a.nick, "hello from %s" % a.nick)
    await p.hear(a.peer_nick, "hello from %s" % a.peer_nick)


async def guest(p):
    a = p.args
    print("READY", flush=True)
    room = slixmpp.JID(a.room)
    inv = await p.expect("an invitation to %s" % a.room,
                         lambda m: m.name == "message" and m["from"] == room
                         and m.xml.find("{%s}x/{%s}invite" % (NS_MUC_USER, NS_MUC_USER)) is not None)
    inviter = slixmpp.JID(inv.xml.find("{%s}x/{%s}invite" % (NS_MUC_USER, NS_MUC_USER)).get("from", ""))
    # A semi-anonymous room (the default) may hide the inviter's real JID
    # behind their occupant JID, as Prosody does.
    if inviter.bare != slixmpp.JID(a.peer_jid).bare and inviter != slixmpp.JID("%s/%s" % (a.room, a.peer_nick)):
        raise Failure("invitation is from %r, want %s or their occupant JID: %s" % (str(inviter), a.peer_jid, inv))
    step(a, "invited by %s" % inviter)
    await p.join(created=False)
    await p.hear(a.peer_nick, "hello from %s" % a.peer_nick)
    p.say("hello from %s" % a.nick)
    await p.hear(a.nick, "hello from %s" % a.nick)


async def scenario(args):
    p = Peer(args)
    await p.login()
    await (owner if args.role == "owner" else guest)(p)
    # Close the stream politely; the test does not depend on it.
    p.closing = True
    await p.xmpp.disconnect(wait=1)


def main():
    args = parse_args()
    run(args.role, scenario, args)


if __name__ == "__main__":
    main()
