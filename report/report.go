// Package report writes the outcome of a test run in the two formats CI
// systems read: the `go test -json` event stream (the format of
// cmd/test2json, which gotestsum, go-junit-report and the CI test
// reporters consume) and JUnit XML as Jenkins' xUnit plugin defines it
// (junit-10.xsd, kept in testdata and checked with xmllint by the tests).
//
// The package knows nothing of scansion scripts: cmd/muctest maps each
// script to a Case, its folder to a package (JSON) and a test suite
// (JUnit), so that the same reports serve any runner that produces named,
// timed pass/fail/skip results.
package report

import (
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Status is how a test ended.
type Status int

// The statuses a test can end with. Error is for a test that could not run
// at all (a script that does not parse): JUnit counts it apart from
// failures, go test -json reports it as a failure.
const (
	Pass Status = iota
	Fail
	Error
	Skip
)

func (s Status) String() string {
	switch s {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	case Error:
		return "error"
	case Skip:
		return "skip"
	}
	return "unknown"
}

// Case is one test as both reports see it.
type Case struct {
	// Name is the test's name within its package, e.g. the script's file
	// name: stable across runs, so CI can track its history.
	Name string
	// Package groups tests: the JSON stream's Package and the JUnit
	// suite and classname. For scripts it is the folder.
	Package string
	// Title is a one-line description shown next to the name.
	Title  string
	Status Status
	// Message is one line saying why the test failed, errored or was
	// skipped; Detail is the full report (the failure with the expected
	// and received stanzas).
	Message string
	Detail  string
	// Output is what the test printed (the -v trace): the JUnit
	// system-out. The JSON stream gets it as it happens instead.
	Output  string
	Start   time.Time
	Elapsed time.Duration
}

// Split turns a slash- or OS-separated file path into the package (its
// folder, slash-separated) and name (its base name) of a Case, so that a
// folder of scripts reads like a Go package of tests.
func Split(file string) (pkg, name string) {
	file = path.Clean(filepath.ToSlash(file))
	pkg, name = path.Split(file)
	pkg = strings.TrimSuffix(pkg, "/")
	if pkg == "" {
		pkg = "."
	}
	return pkg, name
}
