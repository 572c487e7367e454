#!/usr/bin/python3
"""The real-client message archive (XEP-0313) test, played by slixmpp.

ALICE and BOB log in and each queries their (empty) archive first, which
starts archiving on a server that archives an account only once it has used
MAM (Prosody's mam_smart_enable). Then they chat in strict turns, ALICE
first, --messages messages each, every one waiting for the other's to
arrive, so both archives have one order. Every message received live must
carry a stanza-id (XEP-0359) by the receiver's bare JID.

Then, with slixmpp's xep_0313 plugin and XEP-0059 pages of --page messages:
ALICE pages her archive forwards (retrieve(iterator=True)) and backwards
(reverse=True, <before/>) and reads its metadata; BOB pages his with a
with-filter on ALICE (xep_0313.iterate, backwards). Each must hold every
message both ways exactly once, in the order they were sent, page sizes and
RSM counts as XEP-0059 says, and the archive id of each message received
live must be the stanza-id it arrived with.

Prints one line per step; exits 0 on success, 1 on a failed assertion or
timeout. Meant for Debian's python3-slixmpp (1.8), hence /usr/bin/python3.
"""

import asyncio

from peer import Client as Base, Failure, arguments, run, slixmpp, step as say

NS_SID = "urn:xmpp:sid:0"


def parse_args():
    p = arguments(__doc__, alice="alice-mam", bob="bob-mam")
    p.add_argument("--messages", type=int, default=12, help="messages each way")
    p.add_argument("--page", type=int, default=5, help="RSM page size")
    return p.parse_args()


def step(text):
    say("mam", text)


class Client(Base):
    def __init__(self, jid, password):
        super().__init__("mam", jid, password, ("xep_0030", "xep_0004", "xep_0059", "xep_0297", "xep_0313"))
        self.inbox = asyncio.Queue()
        self.xmpp.add_event_handler("message", self._message)

    def _message(self, msg):
        # Archive results are messages too; only live chat goes to the inbox.
        if msg["type"] in ("chat", "normal") and msg["body"] and msg.xml.find("{urn:xmpp:mam:2}result") is None:
            self.inbox.put_nowait(msg)

    async def expect(self, sender, body):
        """The next chat message, which must be body from sender; returns
        the stanza-id the server stamped it with."""
        msg = await self.inbox.get()
        if msg["from"].bare != sender or msg["body"] != body:
            raise Failure("%s expected %r from %s, got %r from %s" % (self.name, body, sender, msg["body"], msg["from"]))
        me = self.xmpp.boundjid.bare
        for sid in msg.xml.findall("{%s}stanza-id" % NS_SID):
            if sid.get("by") == me and sid.get("id"):
                return sid.get("id")
        raise Failure("%s: %r arrived without a stanza-id by %s: %s" % (self.name, body, me, msg))


def entry(result):
    """(archive id, from bare, to bare, body) of one <result/> message."""
    fwd = result["mam_result"]["forwarded"]["stanza"]
    if not isinstance(fwd, slixmpp.Message):
        raise Failure("a result carries no forwarded message: %s" % result)
    if result.xml.find("{urn:xmpp:mam:2}result/{urn:xmpp:forward:0}forwarded/{urn:xmpp:delay}delay") is None:
        raise Failure("a result has no <delay/>: %s" % result)
    return (result["mam_result"]["id"], fwd["from"].bare, fwd["to"].bare, fwd["body"])


def check(who, got, want, sids):
    """got (archive entries, oldest first) must be want ((from, to, body),
    in order, each once), and every message received live must be archived
    under the stanza-id it came with."""
    ids = [g[0] for g in got]
    if len(set(ids)) != len(ids):
        raise Failure("%s: duplicate archive ids: %s" % (who, ids))
    triples = [g[1:] for g in got]
    if triples != want:
        lines = ["%s: archive is not the conversation:" % who]
        for i in range(max(len(triples), len(want))):
            g = triples[i] if i < len(triples) else None
            w = want[i] if i < len(want) else None
            lines.append("  %s %2d got %s want %s" % ("  " if g == w else "!!", i, g, w))
        raise Failure("\n".join(lines))
    for (aid, _, _, body) in got:
        if body in sids and sids[body] != aid:
            raise Failure("%s: %r is archived as %s but arrived with stanza-id %s" % (who, body, aid, sids[body]))


def check_pages(who, pages, total, size):
    """Every page holds size messages but the last (the oldest, paging
    backwards), and says count=total."""
    sizes = [len(p["mam"]["results"]) for p in pages]
    want = [size] * (total // size) + ([total % size] if total % size else [])
    if sizes != want:
        raise Failure("%s: page sizes %s, want %s" % (who, sizes, want))
    for p in pages:
        rsm = p["mam_fin"]["rsm"]
        if rsm["count"] != str(total):
            raise Failure("%s: a page says count=%r, want %d" % (who, rsm["count"], total))
        res = p["mam"]["results"]
        if rsm["first"] != res[0]["mam_result"]["id"] or rsm["last"] != res[-1]["mam_result"]["id"]:
            raise Failure("%s: <first/> and <last/> (%s, %s) are not the page's ends" % (who, rsm["first"], rsm["last"]))


async def scenario(a):
    d = a.domain
    alice = Client("%s@%s/mam" % (a.alice, d), a.password)
    bob = Client("%s@%s/mam" % (a.bob, d), a.password)
    for c in (alice, bob):
        await c.login(a.host, a.port)
    A, B = alice.xmpp.boundjid.bare, bob.xmpp.boundjid.bare

    # Using MAM first: with mam_smart_enable this starts the archives.
    for c in (alice, bob):
        iq = await c.xmpp["xep_0313"].retrieve(rsm={"max": a.page})
        if iq["mam"]["results"]:
            raise Failure("%s's archive is not empty before the chat: %s" % (c.name, iq["mam"]["results"]))
        step("%s's archive is empty (count=%s)" % (c.xmpp.boundjid.bare, iq["mam_fin"]["rsm"]["count"] or "none"))

    want, sids_alice, sids_bob = [], {}, {}
    for i in range(a.messages):
        body = "alice to bob %d" % i
        alice.xmpp.send_message(mto=B, mbody=body, mtype="chat")
        want.append((A, B, body))
        sids_bob[body] = await bob.expect(A, body)
        body = "bob to alice %d" % i
        bob.xmpp.send_message(mto=A, mbody=body, mtype="chat")
        want.append((B, A, body))
        sids_alice[body] = await alice.expect(B, body)
    step("%d messages exchanged, each with a stanza-id" % len(want))
    total = len(want)

    # ALICE forwards: pages oldest first, each page in order.
    pages = []
    async for page in alice.xmpp["xep_0313"].retrieve(iterator=True, rsm={"max": a.page}):
        pages.append(page)
    check_pages("%s forwards" % A, pages, total, a.page)
    got = [entry(m) for p in pages for m in p["mam"]["results"]]
    check("%s forwards" % A, got, want, sids_alice)
    step("%s paged her archive forwards: %d messages in %d pages of %d, in order, once each"
         % (A, len(got), len(pages), a.page))
    forward_ids = [g[0] for g in got]

    # The archive's metadata (MAM 0.7) names its first and last message.
    md = (await alice.xmpp["xep_0313"].get_archive_metadata())["mam_metadata"]
    if (md["start"]["id"], md["end"]["id"]) != (forward_ids[0], forward_ids[-1]) or \
            not md["start"]["timestamp"] or md["start"]["timestamp"] > md["end"]["timestamp"]:
        raise Failure("%s: metadata start %s end %s, want ids %s and %s" % (
            A, md["start"], md["end"], forward_ids[0], forward_ids[-1]))
    step("%s's archive metadata names its first and last message" % A)

    # ALICE backwards: the newest page first, each page still in order.
    pages = []
    async for page in alice.xmpp["xep_0313"].retrieve(iterator=True, reverse=True, rsm={"max": a.page}):
        pages.append(page)
    check_pages("%s backwards" % A, pages, total, a.page)
    got = [entry(m) for p in reversed(pages) for m in p["mam"]["results"]]
    check("%s backwards" % A, got, want, sids_alice)
    if [g[0] for g in got] != forward_ids:
        raise Failure("%s: the archive ids differ between paging forwards and backwards" % A)
    step("%s paged her archive backwards: %d messages in %d pages, the same ids" % (A, len(got), len(pages)))

    # BOB backwards with a with-filter, message by message.
    got = []
    async for m in bob.xmpp["xep_0313"].iterate(with_jid=slixmpp.JID(A), reverse=True, rsm={"max": a.page}):
        got.append(entry(m))
    got.reverse()
    check("%s with %s" % (B, A), got, want, sids_bob)
    step("%s paged his archive with %s backwards: %d messages, in order, once each" % (B, A, len(got)))

    # A with-filter on someone else finds nothing.
    iq = await bob.xmpp["xep_0313"].retrieve(with_jid=slixmpp.JID("nobody@" + d), rsm={"max": a.page})
    if iq["mam"]["results"]:
        raise Failure("%s: a with-filter on nobody@%s found %d messages" % (B, d, len(iq["mam"]["results"])))
    step("%s: nothing archived with nobody@%s" % (B, d))

    for c in (alice, bob):
        await c.xmpp.disconnect(wait=1)


def main():
    run("mam", scenario, parse_args())


if __name__ == "__main__":
    main()
