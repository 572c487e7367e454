"""What every slixmpp peer of the real-client tests shares: the client set
up the way the test servers need it, its login, the common command-line
options and the run that turns a scenario's outcome into the exit status
and lines the Go tests read.

Exit statuses: 0 success, 1 a failed assertion or timeout, 2 bad
arguments (argparse's), 3 slixmpp (or another module a peer needs) is not
installed. Meant for Debian's python3-slixmpp (1.8), hence
/usr/bin/python3; a peer imports it from its own folder.
"""

import argparse
import asyncio
import logging
import ssl
import sys

try:
    import slixmpp
except ImportError as err:  # the Go tests look for this exit code and text
    print("slixmpp is not installed: %s" % err, file=sys.stderr)
    sys.exit(3)


class Failure(Exception):
    """A failed assertion about what the server sent."""


def arguments(doc, alice="alice", bob="bob"):
    """An argument parser with the options every peer takes; a peer adds
    its own before parse_args."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5222)
    p.add_argument("--domain", default="localhost")
    p.add_argument("--alice", default=alice)
    p.add_argument("--bob", default=bob)
    p.add_argument("--password", default="password")
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("-v", "--verbose", action="store_true", help="log every stanza")
    return p


def new_xmpp(jid, password, plugins):
    """A slixmpp client for the test servers: PLAIN is allowed on a stream
    without TLS (they offer no other mechanism then) and their self-signed
    certificates are not checked."""
    x = slixmpp.ClientXMPP(jid, password,
                           plugin_config={"feature_mechanisms": {"unencrypted_plain": True}})
    x.ssl_context.check_hostname = False
    x.ssl_context.verify_mode = ssl.CERT_NONE
    for plugin in plugins:
        x.register_plugin(plugin)
    return x


class Client:
    """A client that logs in with Client.login: the roster is fetched and
    initial presence sent before login returns, and a failed
    authentication or connection fails the login rather than hanging it."""

    def __init__(self, name, jid, password, plugins):
        self.peer = name
        self.name = jid
        self.xmpp = new_xmpp(jid, password, plugins)
        self.session = asyncio.get_event_loop().create_future()
        self.xmpp.add_event_handler("session_start", self._start)
        self.xmpp.add_event_handler("failed_auth", lambda _: self._fail("authentication failed"))
        self.xmpp.add_event_handler("connection_failed", lambda e: self._fail("cannot connect: %s" % e))

    def _fail(self, why):
        if not self.session.done():
            self.session.set_exception(Failure("%s: %s" % (self.name, why)))

    async def started(self):
        """What a peer does once the session starts, before the initial
        presence (registering interests, say)."""

    async def _start(self, _):
        await self.started()
        await self.xmpp.get_roster()
        self.xmpp.send_presence()
        if not self.session.done():
            self.session.set_result(True)

    async def login(self, host, port):
        self.xmpp.connect((host, port), force_starttls=False)
        await self.session
        step(self.peer, "%s logged in" % self.xmpp.boundjid)


def step(name, text):
    """One line of progress, which the Go tests read."""
    print("slixmpp %s: %s" % (name, text), flush=True)


def run(name, scenario, args, errors=()):
    """Runs scenario(args) within args.timeout and exits as the Go tests
    expect: 0 after printing "ok", 1 after a FAIL line for a Failure, a
    timeout, an iq error or any of errors."""
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.ERROR,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(asyncio.wait_for(scenario(args), args.timeout))
    except asyncio.TimeoutError:
        print("FAIL: slixmpp %s: timed out after %gs" % (name, args.timeout), file=sys.stderr, flush=True)
        sys.exit(1)
    except (Failure, slixmpp.exceptions.IqError, slixmpp.exceptions.IqTimeout) + tuple(errors) as err:
        print("FAIL: slixmpp %s: %s: %s" % (name, type(err).__name__, err), file=sys.stderr, flush=True)
        sys.exit(1)
    finally:
        # slixmpp leaves its stanza filter task running after disconnect.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    step(name, "ok")
