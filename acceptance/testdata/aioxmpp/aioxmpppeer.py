#!/usr/bin/python3
"""The aioxmpp acceptance test: two aioxmpp sessions against our server.

ALICE and BOB log in (STARTTLS, SASL, bind, XEP-0198 stream management on).
ALICE claims a PEP node with +notify in her entity capabilities (XEP-0115,
XEP-0163), publishes an item to it and must be notified of it. ALICE then
creates a room, submits its configuration and BOB joins it (XEP-0045): ALICE sets the subject and BOB
must see it with ALICE as its setter; ALICE sends a tracked message, which
the room must reflect to her with her id (aioxmpp's tracker then says
delivered) and pass on to BOB; ALICE kicks BOB with a reason, which BOB's
room must report as a kick with that reason. Last, BOB blocks three JIDs
and unblocks them (XEP-0191), each change pushed back to him.

Prints one line per step; exits 0 on success, 1 on a failed assertion or
timeout, 3 when aioxmpp is missing. Meant for Debian's python3-aioxmpp
(0.13), hence /usr/bin/python3.
"""

import argparse
import asyncio
import contextlib
import logging
import sys
import uuid

try:
    import aioxmpp
    import aioxmpp.connector
    import aioxmpp.muc
    import aioxmpp.pep
    import aioxmpp.pubsub.xso
    import aioxmpp.tracking
    import aioxmpp.xso
except ImportError as err:
    print("aioxmpp is not installed: %s" % err, file=sys.stderr)
    sys.exit(3)

NS_NOTE = "urn:muctest:acceptance:note"


@aioxmpp.pubsub.xso.as_payload_class
class Note(aioxmpp.xso.XSO):
    """The item ALICE publishes to her own PEP node."""
    TAG = (NS_NOTE, "note")
    text = aioxmpp.xso.Text()


class Failure(Exception):
    """A failed assertion about what the server sent."""


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5222)
    p.add_argument("--domain", default="localhost")
    p.add_argument("--muc", default="conference.localhost")
    p.add_argument("--alice", default="alice")
    p.add_argument("--bob", default="bob")
    p.add_argument("--password", default="password")
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("-v", "--verbose", action="store_true")
    return p.parse_args()


def step(text):
    print("aioxmpp: %s" % text, flush=True)


def check(ok, what):
    if not ok:
        raise Failure(what)


def signal_future(signal, accept=lambda *a, **kw: True, result=lambda *a, **kw: a):
    """A future set by the first emission of signal that accept takes."""
    fut = asyncio.get_event_loop().create_future()

    def handler(*args, **kwargs):
        if fut.done() or not accept(*args, **kwargs):
            return False  # stay connected
        fut.set_result(result(*args, **kwargs))
        return True  # disconnect

    signal.connect(handler)
    return fut


def make_client(args, user, services):
    jid = aioxmpp.JID(localpart=user, domain=args.domain, resource="aioxmpp")
    # The in-process server's certificate is self-signed.
    security = aioxmpp.make_security_layer(args.password, no_verify=True)
    client = aioxmpp.PresenceManagedClient(
        jid, security,
        override_peer=[(args.host, args.port, aioxmpp.connector.STARTTLSConnector())],
        logger=logging.getLogger("aioxmpp." + user),
    )
    for service in services:
        client.summon(service)
    return client


async def pep(alice):
    claim = alice.summon(aioxmpp.pep.PEPClient).claim_pep_node(NS_NOTE, notify=True)
    got = signal_future(claim.on_item_publish, result=lambda jid, node, item, **kw: (jid, node, item))
    # The +notify feature reaches the server with the next presence.
    await alice.summon(aioxmpp.PresenceServer).resend_presence()
    note = Note()
    note.text = "written by aioxmpp"
    await alice.summon(aioxmpp.pep.PEPClient).publish(NS_NOTE, note)
    jid, node, item = await got
    check(jid == alice.local_jid.bare(), "PEP notification from %s, not the publisher" % (jid,))
    check(node == NS_NOTE, "PEP notification for node %s" % node)
    check(item.registered_payload.text == note.text, "PEP notification carries %r" % item.registered_payload.text)
    step("got the PEP notification of its own publish")
    claim.close()


async def muc(args, alice, bob):
    room_jid = aioxmpp.JID(localpart="aioxmpp-" + uuid.uuid4().hex[:8], domain=args.muc, resource=None)
    amuc = alice.summon(aioxmpp.MUCClient)
    aroom, joined = amuc.join(room_jid, "alice")
    await joined
    check(aroom.me.affiliation == "owner", "the creator is %s, not owner" % aroom.me.affiliation)
    # A new room stays locked until its owner submits its configuration.
    form = aioxmpp.muc.xso.ConfigurationForm.from_xso(await amuc.get_room_config(room_jid))
    form.membersonly.value = False
    await amuc.set_room_config(room_jid, form.render_reply())
    bob_seen = signal_future(aroom.on_join, lambda member, **kw: member.nick == "bob", lambda member, **kw: member)
    broom, joined = bob.summon(aioxmpp.MUCClient).join(room_jid, "bob")
    await joined
    bob_member = await bob_seen
    step("both joined %s" % (room_jid,))

    # BOB's join ends with the room's (empty) subject, which aioxmpp may
    # dispatch after the join's future: wait for this subject.
    topic = "brewing"
    got_topic = signal_future(broom.on_topic_changed,
                              lambda member, subject, **kw: subject.any() == topic,
                              lambda member, subject, **kw: kw.get("muc_nick"))
    await aroom.set_topic({None: topic})
    setter = await got_topic
    check(setter == "alice", "the subject was set by %r" % setter)
    check(broom.muc_subject_setter == "alice", "the room says its subject setter is %r" % broom.muc_subject_setter)
    step("saw the subject set by alice")

    got_message = signal_future(broom.on_message,
                                lambda message, member, source, **kw: message.body.any() == "hello",
                                lambda message, member, source, **kw: member)
    msg = aioxmpp.Message(type_=aioxmpp.MessageType.GROUPCHAT)
    msg.body[None] = "hello"
    _, tracker = aroom.send_message_tracked(msg)
    delivered = signal_future(tracker.on_state_changed,
                              lambda state, *a, **kw: state == aioxmpp.tracking.MessageState.DELIVERED_TO_RECIPIENT)
    await delivered
    member = await got_message
    check(member is not None and member.nick == "alice", "the message came from %r" % (member,))
    step("the room reflected the tracked message and passed it on")

    exited = signal_future(broom.on_exit, result=lambda **kw: (kw.get("muc_leave_mode"), kw.get("muc_reason")))
    left = signal_future(aroom.on_leave, lambda occupant, **kw: occupant.nick == "bob",
                         lambda occupant, **kw: kw.get("muc_leave_mode"))
    await aroom.kick(bob_member, "out you go")
    mode, reason = await exited
    check(mode == aioxmpp.muc.LeaveMode.KICKED, "bob left as %r, not kicked" % (mode,))
    check(reason == "out you go", "bob was kicked for %r" % reason)
    mode = await left
    check(mode == aioxmpp.muc.LeaveMode.KICKED, "alice saw bob leave as %r" % (mode,))
    step("bob was kicked with the reason")
    await aroom.leave()


async def blocking(bob):
    block = bob.summon(aioxmpp.BlockingClient)
    jids = [aioxmpp.JID.fromstr(j) for j in ("a@blocked.example", "b@blocked.example", "c@blocked.example/r")]
    blocked = signal_future(block.on_jids_blocked, result=lambda jids: jids)
    await block.block_jids(jids)
    check(await blocked == frozenset(jids), "the block push named other JIDs")
    check(block.blocklist == frozenset(jids), "the blocklist is %r" % (block.blocklist,))
    unblocked = signal_future(block.on_jids_unblocked, result=lambda jids: jids)
    await block.unblock_all()
    check(await unblocked == frozenset(jids), "the unblock push named other JIDs")
    check(block.blocklist == frozenset(), "the blocklist is %r after unblocking all" % (block.blocklist,))
    step("blocked and unblocked three JIDs")


async def run(args):
    services = [aioxmpp.EntityCapsService, aioxmpp.PresenceServer, aioxmpp.PubSubClient,
                aioxmpp.pep.PEPClient, aioxmpp.MUCClient, aioxmpp.BlockingClient]
    alice = make_client(args, args.alice, services)
    bob = make_client(args, args.bob, services)
    async with contextlib.AsyncExitStack() as stack:
        for c in (alice, bob):
            await stack.enter_async_context(c.connected())
            check(c.stream.sm_enabled, "%s: stream management is off" % (c.local_jid,))
        step("logged in over STARTTLS with stream management")
        await pep(alice)
        await muc(args, alice, bob)
        await blocking(bob)
    step("ok")


def main():
    args = parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.ERROR)
    try:
        asyncio.run(asyncio.wait_for(run(args), args.timeout))
    except Failure as err:
        print("aioxmpp: FAILED: %s" % err, flush=True)
        sys.exit(1)
    except asyncio.TimeoutError:
        print("aioxmpp: FAILED: timed out after %gs" % args.timeout, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
