#!/usr/bin/python3
"""The real-client PEP acceptance test, played by slixmpp: three sessions.

ALICE (alice@/pep) and BOB (bob@/pep) log in and subscribe to each other's
presence; BOB's entity capabilities (XEP-0115) say +notify for nicknames
(XEP-0172), avatar metadata (XEP-0084) and the OMEMO device list; ALICE's
second session (alice@/second) says +notify for bookmarks 2 (XEP-0402).
ALICE publishes a nickname, an avatar (data then metadata), an OMEMO device
list (open access, as Conversations and Gajim publish it) and a bookmark
(whitelist). BOB must be notified of the first three, and ALICE's second
session of the bookmark; BOB must not see the bookmark.

Prints one line per step; exits 0 on success, 1 on a failed assertion or
timeout. Meant for Debian's python3-slixmpp (1.8), hence /usr/bin/python3.
"""

import asyncio
import base64
import hashlib

from peer import Client as Base, Failure, arguments, run, slixmpp, step as say
from slixmpp.plugins.xep_0004 import Form

NS_NICK = "http://jabber.org/protocol/nick"
NS_AVATAR_META = "urn:xmpp:avatar:metadata"
NS_AVATAR_DATA = "urn:xmpp:avatar:data"
NS_DEVICELIST = "eu.siacs.conversations.axolotl.devicelist"
NS_OMEMO = "eu.siacs.conversations.axolotl"
NS_BOOKMARKS = "urn:xmpp:bookmarks:1"


def step(text):
    say("pep", text)


class Client(Base):
    def __init__(self, jid, password, interests):
        super().__init__("pep", jid, password,
                         ("xep_0030", "xep_0004", "xep_0060", "xep_0115", "xep_0163", "xep_0084", "xep_0172"))
        self.interests = interests
        self.events = asyncio.Queue()
        self.xmpp.add_event_handler("pubsub_publish", lambda msg: self.events.put_nowait(msg))

    async def started(self):
        for ns in self.interests:
            self.xmpp["xep_0163"].add_interest(ns)

    async def event(self, node):
        """The next pubsub notification for node (others are skipped)."""
        while True:
            msg = await self.events.get()
            items = msg["pubsub_event"]["items"]
            if items["node"] == node:
                return msg
            step("%s: skipping a notification for %s" % (self.name, items["node"]))


def options(access):
    f = Form()
    f["type"] = "submit"
    f.add_field(var="FORM_TYPE", ftype="hidden", value="http://jabber.org/protocol/pubsub#publish-options")
    f.add_field(var="pubsub#access_model", value=access)
    return f


async def scenario(a):
    d = a.domain
    alice = Client("%s@%s/pep" % (a.alice, d), a.password, [])
    second = Client("%s@%s/second" % (a.alice, d), a.password, [NS_BOOKMARKS])
    bob = Client("%s@%s/pep" % (a.bob, d), a.password, [NS_NICK, NS_AVATAR_META, NS_DEVICELIST])
    for c in (alice, second, bob):
        await c.login(a.host, a.port)
    alice_bare, bob_bare = alice.xmpp.boundjid.bare, bob.xmpp.boundjid.bare
    # Mutual presence subscription: slixmpp accepts and subscribes back.
    subscribed = asyncio.get_event_loop().create_future()

    def on_changed(pres):
        if pres["from"].bare == alice_bare and not subscribed.done():
            subscribed.set_result(True)
    bob.xmpp.add_event_handler("changed_status", on_changed)
    alice.xmpp.send_presence_subscription(pto=bob_bare)
    await subscribed
    step("%s sees %s's presence" % (bob_bare, alice_bare))

    await alice.xmpp["xep_0172"].publish_nick("Alice in PEP")
    msg = await bob.event(NS_NICK)
    nick = msg["pubsub_event"]["items"]["item"].xml.find("{%s}nick" % NS_NICK)
    if nick is None or nick.text != "Alice in PEP":
        raise Failure("nickname notification: %s" % msg)
    step("%s got the nickname" % bob_bare)

    png = b"\x89PNG\r\n\x1a\n" + b"real-client avatar"
    ident = hashlib.sha1(png).hexdigest()
    await alice.xmpp["xep_0084"].publish_avatar(png)
    await alice.xmpp["xep_0084"].publish_avatar_metadata([{"id": ident, "type": "image/png", "bytes": len(png)}])
    msg = await bob.event(NS_AVATAR_META)
    if msg["pubsub_event"]["items"]["item"]["id"] != ident:
        raise Failure("avatar metadata notification: %s" % msg)
    data = await bob.xmpp["xep_0060"].get_item(alice_bare, NS_AVATAR_DATA, ident)
    got = data["pubsub"]["items"]["item"].xml.find("{%s}data" % NS_AVATAR_DATA)
    if got is None or base64.b64decode(got.text) != png:
        raise Failure("avatar data: %s" % data)
    step("%s got the avatar %s" % (bob_bare, ident))

    devices = slixmpp.ET.Element("{%s}list" % NS_OMEMO)
    slixmpp.ET.SubElement(devices, "{%s}device" % NS_OMEMO, id="1234")
    await alice.xmpp["xep_0060"].publish(alice_bare, NS_DEVICELIST, id="current", payload=devices,
                                          options=options("open"))
    msg = await bob.event(NS_DEVICELIST)
    if msg["pubsub_event"]["items"]["item"].xml.find("{%s}list/{%s}device" % (NS_OMEMO, NS_OMEMO)) is None:
        raise Failure("device list notification: %s" % msg)
    step("%s got the OMEMO device list" % bob_bare)

    conf = slixmpp.ET.Element("{%s}conference" % NS_BOOKMARKS, name="Real clients", autojoin="true")
    await alice.xmpp["xep_0060"].publish(alice_bare, NS_BOOKMARKS, id="room@conference.%s" % d,
                                          payload=conf, options=options("whitelist"))
    msg = await second.event(NS_BOOKMARKS)
    if msg["pubsub_event"]["items"]["item"]["id"] != "room@conference.%s" % d:
        raise Failure("bookmark notification: %s" % msg)
    step("%s got the bookmark" % second.xmpp.boundjid)
    try:
        await bob.xmpp["xep_0060"].get_items(alice_bare, NS_BOOKMARKS)
    except slixmpp.exceptions.IqError as err:
        step("%s may not read the bookmarks (%s)" % (bob_bare, err.condition))
    else:
        raise Failure("%s read %s's bookmarks" % (bob_bare, alice_bare))
    for c in (alice, second, bob):
        await c.xmpp.disconnect(wait=1)


def main():
    run("pep", scenario, arguments(__doc__).parse_args())


if __name__ == "__main__":
    main()
