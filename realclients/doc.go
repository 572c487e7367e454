// Package realclients holds the acceptance tests a user would run: real,
// widely used XMPP clients — slixmpp (Python, Debian's python3-slixmpp) and
// xmpp.js (Node, npm @xmpp/client) — log in to our server, create a room,
// configure it, invite each other, join, and exchange groupchat messages.
//
// The package has no API; everything is in its tests. Each client side is a
// small script under testdata (slixmpp/mucpeer.py, xmppjs/mucpeer.js) that
// plays the room owner or the invited guest, asserts what it receives and
// exits non-zero on failure; the Go test pairs them up against a server
// started in-process (and against the cmd/mucd binary).
//
// Running the scripts needs the clients installed (see .ci/run):
//
//	apt-get install -y python3-slixmpp                    # for /usr/bin/python3
//	(cd realclients/testdata/xmppjs && npm ci)            # node_modules from package-lock.json
//
// Without them the tests skip, except when CI=true, where a missing client is
// a failure. REALCLIENTS_ADDR=host:port points the tests at an already running
// server instead (for example a Prosody to compare with), which must accept
// any password and serve MUC at conference.<domain> (REALCLIENTS_DOMAIN,
// default localhost).
package realclients
