// Package hostile holds end-to-end tests that attack a real server over
// loopback with the inputs an untrusted peer can send: broken or forbidden
// XML, oversized and deeply nested stanzas, stanzas out of order, forged
// addresses, bad SASL exchanges, malformed JIDs wherever one is read, and
// MUC requests from those without the right. Each test checks the exact
// stream or stanza error RFC 6120 or XEP-0045 prescribes, and that two
// well-behaved clients on the same server keep exchanging messages
// afterwards: one hostile peer must never disrupt anyone else.
//
// Tests that measure the whole process (the heap, heapBaseline and
// wantGrowth; the goroutine count; RLIMIT_NOFILE; c2s's process-wide
// failure-log limiter) run one at a time. Every other test has a server
// of its own and calls t.Parallel: go test starts those only once all the
// sequential tests have ended, so they never disturb a measurement, and
// they wait out their timeouts and rate limits together, eight at a time
// unless -parallel says otherwise (TestMain): they spend most of their
// time waiting, not on a core.
//
// The two kinds share one test binary rather than two packages: a second
// binary to link cost more of go test ./... (whose links and test runs
// share two slots on a two-core machine) than running the parallel tests
// beside the sequential ones would save, since this package's run does
// not end the suite.
//
// The package has no code of its own beyond this comment; it exists so the
// attacks live in one place, apart from the unit tests of the packages they
// exercise.
package hostile
