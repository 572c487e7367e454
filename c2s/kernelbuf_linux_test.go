package c2s

import (
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestKernelReadBufferBounded checks that a read-limited session bounds
// its socket's kernel receive buffer to about a second of its allowance
// (within the floor and ceiling), so that a client past its allowance
// blocks in its write instead of filling megabytes, and that a session
// without a read limit leaves the kernel's autotuning alone.
func TestKernelReadBufferBounded(t *testing.T) {
	tests := []struct {
		name string
		rate int64
		want int // what SetReadBuffer is given (Linux reports twice it)
	}{
		{"no limit", 0, 0},
		{"below the floor", 1 << 10, minKernelReadBuffer},
		{"a second of allowance", 512 << 10, 512 << 10},
		{"above the ceiling", 64 << 20, maxKernelReadBuffer},
	}
	rmemMax := sysctlInt(t, "/proc/sys/net/core/rmem_max")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			server, _ := tcpPair(t)
			before := rcvbuf(t, server)
			l := Limits{ReadRate: tc.rate}
			boundKernelBuffer(server, &l)
			got := rcvbuf(t, server)
			switch {
			case tc.want == 0 && got != before:
				t.Fatalf("SO_RCVBUF %d, want it untouched (%d)", got, before)
			case tc.want != 0 && got != 2*min(tc.want, rmemMax):
				t.Fatalf("SO_RCVBUF %d, want %d (twice %d, or the system's rmem_max %d, as Linux reports it)", got, 2*min(tc.want, rmemMax), tc.want, rmemMax)
			}
		})
	}
}

func rcvbuf(t *testing.T, c net.Conn) int {
	t.Helper()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var serr error
	if err := raw.Control(func(fd uintptr) {
		n, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	}); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatal(serr)
	}
	return n
}

// sysctlInt reads a number from /proc/sys.
func sysctlInt(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return n
}
