package script

import "testing"

// TestRunFileInProcess runs a script through the Go API against a fresh
// in-process server, in strict mode, the way users call it.
func TestRunFileInProcess(t *testing.T) {
	res := RunFile(t, "testdata/clients/chat.scs", Options{Strict: true, Verbose: testing.Verbose()})
	if res.Skipped != 0 {
		t.Errorf("%d stanzas skipped in strict mode", res.Skipped)
	}
}

func TestRunDirInProcess(t *testing.T) {
	if n := RunDir(t, "testdata/clients", Options{Strict: true}); n == 0 {
		t.Fatal("no scripts in testdata/clients")
	}
}
