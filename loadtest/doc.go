// Package loadtest holds the load-and-faults test of issue 6: many clients
// in several MUC rooms exchange groupchat messages while some of them
// disconnect abruptly in the middle of a stanza. It proves that the clients
// that stay lose, duplicate and reorder nothing, that every room delivers
// one total order to all its occupants, and that the server leaves no
// goroutine behind after Close.
//
// The default size (200 clients) keeps `go test -race ./...` quick on two
// cores; MUCTEST_LOAD_CLIENTS=1000 runs the full issue-6 figure, and
// MUCTEST_LOAD_MESSAGES sets how many messages each client sends.
package loadtest
