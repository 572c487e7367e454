package archive

import (
	"strconv"
	"testing"
	"time"
	"unsafe"
)

// TestTinyMessagesCountTheirEntries: a flood of tiny messages, whose wire
// form is smaller than the entry holding each, stays within the byte
// bound in memory too (attack mam-archive-tiny: 400 accounts messaging
// each other one-character bodies took mucd's archives to 75 MB of heap
// under a 32 MiB total).
func TestTinyMessagesCountTheirEntries(t *testing.T) {
	const max = 50 << 10
	a := New(Limits{MaxItems: 100000, MaxBytes: max})
	wire := 0
	for i := range 5000 {
		m := msg("romeo@localhost/r", "juliet@localhost", strconv.Itoa(i%10))
		wire = len(m.AppendTo(nil, nsClient))
		a.Append(Entry{ID: "id" + strconv.Itoa(i), With: "juliet@localhost", Msg: m, At: t0.Add(time.Duration(i) * time.Second)})
	}
	held := int64(a.Len()) * (int64(wire) + int64(unsafe.Sizeof(Entry{})))
	if held > max || a.Bytes() > max {
		t.Fatalf("%d messages of %d wire bytes hold %d bytes of entries (archive counts %d), bound %d", a.Len(), wire, held, a.Bytes(), max)
	}
	if a.Len() == 0 {
		t.Fatal("nothing archived")
	}
}
