// Package acceptance holds the acceptance tests a user would run: real,
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
// The web transports (issue 13) are proven the same way in
// browser_test.go: converse.js in headless Debian Chromium, driven by
// playwright-core (testdata/browser: page.html, converse.mjs), logs in over
// WebSocket (RFC 7395) and then over BOSH (XEP-0206) from a page on another
// origin, joins a room where slixmpp (testdata/slixmpp/roomecho.py) waits,
// and the two exchange groupchat messages; a screenshot of the page is kept
// in testdata/browser/screenshots. xmpp.js connects over WebSocket in node
// (mucpeer.js --service ws://...). Both against the in-process server and
// against cmd/mucd -http.
//
// Issue 14's archive and upload are proven with slixmpp's own plugins:
// testdata/slixmpp/mampeer.py has two sessions chat and then page their
// XEP-0313 archives with xep_0313 and XEP-0059, forwards and backwards,
// checking every message both ways once, in order, under the stanza-id it
// was delivered with (mam_test.go); testdata/slixmpp/uploadpeer.py uploads
// files with xep_0363 to upload.<domain> and the server's HTTP surface and
// has a second session download them (upload_test.go). Both run against the
// in-process server and against cmd/mucd; the archive test also against
// REALCLIENTS_ADDR (Prosody 0.12 with mam_smart_enable passes it too).
//
// Issue 15's recorder (package record) is proven with the same MUC
// exchange played through it (record_test.go): in front of our server and
// of Prosody 0.12 (../shared/reference/prosody/start.sh), the script it
// writes parses, holds the exchange, and passes on a fresh server; under
// CI=true, mucd and `muctest record` are also built and run as a user runs
// them (recordbinaries_test.go).
//
// Running the scripts needs the clients installed (see .ci/run):
//
//	apt-get install -y python3-slixmpp python3-aiohttp    # for /usr/bin/python3
//	(cd acceptance/testdata/xmppjs && npm ci)            # node_modules from package-lock.json
//	apt-get install -y chromium                           # the browser test's /usr/bin/chromium
//	(cd acceptance/testdata/browser && npm ci)           # converse.js and playwright-core
//
// Every test here spawns a real peer, so they run only under CI=true, as
// .ci/run sets it, or when MUCTEST_ACCEPTANCE=1 asks for them (one gate,
// internal/peers.Gate); otherwise they skip, saying how to run them. They
// are most of a minute of waiting for the peers, which a plain
// go test ./... (kept under 20 s) does not pay:
//
//	MUCTEST_ACCEPTANCE=1 go test ./acceptance/          # this package's peers
//	CI=true go test -race ./...                          # everything, as CI runs it
//
// Once asked for, a test whose client is not installed skips, except when
// CI=true, where a missing client is a failure. REALCLIENTS_ADDR=host:port
// points the tests at an already running server instead (for example a
// Prosody to compare with), which must accept any password and serve MUC
// at conference.<domain> (REALCLIENTS_DOMAIN, default localhost).
//
// The package was called realclients (hence the environment variables'
// names); its name now sorts first among the module's packages on purpose.
// Under CI=true, go test ./... starts packages in import-path order, two at
// a time on two cores, and a package's test run holds its slot until it
// ends. Nearly all
// of this package's run (the longest of the suite) is waiting for the
// clients, Chromium and Prosody: started first, it waits while the other
// packages are linked and tested on the other slot; started last, as it
// was, the suite ended with it and the other slot idle.
package acceptance
