#!/usr/bin/python3
"""slixmpp registers an account in-band, uses it, and removes it.

The client connects with slixmpp's defaults (STARTTLS, certificate checks
off for the self-signed certificate) and its XEP-0077 plugin forced to
register before authenticating, then logs in as the new account, lists the
server's XEP-0050 commands and runs "ping", changes its password, logs in
again with the new one, and removes the account. It prints one line per
step and exits 0 at the end, 1 on failure or timeout, 3 when slixmpp is
missing.

usage: slixmpp_register.py HOST PORT JID PASSWORD
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


def client(jid, password, host, port, register=False):
    x = slixmpp.ClientXMPP(jid + "/slixmpp", password)
    x.ssl_context.check_hostname = False
    x.ssl_context.verify_mode = ssl.CERT_NONE
    for p in ("xep_0030", "xep_0004", "xep_0050", "xep_0066", "xep_0077"):
        x.register_plugin(p)
    x["xep_0077"].force_registration = register
    x["xep_0077"].create_account = register
    # slixmpp 1.8 holds back every stanza but bind and session until the
    # session starts, the registration iqs too; its own escape hatch lets
    # them through (its register_bot example needs the same).
    x._always_send_everything = register
    loop = asyncio.get_event_loop()
    x.online = loop.create_future()
    x.registered = loop.create_future()

    async def on_register(_):
        iq = x.Iq()
        iq["type"] = "set"
        iq["register"]["username"] = x.boundjid.user
        iq["register"]["password"] = password
        try:
            await iq.send()
            x.registered.set_result(True)
        except Exception as err:  # an iq error is the test's failure
            x.registered.set_exception(RuntimeError("registration failed: %s" % err))

    def failed(_):
        if not x.online.done():
            x.online.set_exception(RuntimeError("%s: authentication failed" % jid))

    async def session_start(_):
        x.send_presence()
        if not x.online.done():
            x.online.set_result(True)

    x.add_event_handler("register", on_register)
    x.add_event_handler("session_start", session_start)
    x.add_event_handler("failed_all_auth", failed)
    x.connect(address=(host, port))
    return x


async def scenario(host, port, jid, password):
    x = client(jid, password, host, port, register=True)
    await x.registered
    print("registered %s" % jid, flush=True)
    await x.online
    print("logged in as %s" % x.boundjid, flush=True)

    items = await x["xep_0030"].get_items(jid="localhost", node="http://jabber.org/protocol/commands")
    nodes = [i[1] for i in items["disco_items"]["items"]]
    print("commands: %s" % ",".join(nodes), flush=True)
    if "ping" not in nodes or "uptime" not in nodes:
        raise RuntimeError("ping and uptime not listed: %s" % nodes)

    iq = x.make_iq_set(ito="localhost")
    iq["command"]["node"] = "ping"
    iq["command"]["action"] = "execute"
    res = await iq.send()
    notes = [n[1] for n in res["command"]["notes"]]
    print("ping: %s %s" % (res["command"]["status"], notes), flush=True)
    if res["command"]["status"] != "completed" or notes != ["Pong"]:
        raise RuntimeError("ping did not complete with Pong")

    await x["xep_0077"].change_password("changed", jid="localhost")
    print("password changed", flush=True)
    x.disconnect()

    y = client(jid, "changed", host, port)
    await y.online
    print("logged in again with the new password", flush=True)
    await y["xep_0077"].cancel_registration(jid="localhost")
    print("account removed", flush=True)
    y.disconnect()


async def main():
    host, port, jid, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    await asyncio.wait_for(scenario(host, port, jid, password), TIMEOUT)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as err:
        print("failed: %r" % err, file=sys.stderr, flush=True)
        sys.exit(1)
    sys.exit(0)
