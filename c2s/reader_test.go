package c2s

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// chunkReader returns its chunks one per Read, then err.
type chunkReader struct {
	chunks [][]byte
	err    error
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		return 0, r.err
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	if len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

// TestCountingReaderBuffers checks that every byte comes through whatever
// the read sizes, and which buffer each read used: the small one unless the
// previous read filled its buffer.
func TestCountingReaderBuffers(t *testing.T) {
	tests := []struct {
		name      string
		chunks    []int
		wantLarge []bool // per fill: did it read into the large buffer
	}{
		{"one short read", []int{100}, []bool{false}},
		{"a stanza larger than the small buffer", []int{smallIn + 100}, []bool{false, true}},
		{"a burst", []int{3 * largeIn}, []bool{false, true, true, true}},
		{"back to small after a short read", []int{smallIn, 10, 20}, []bool{false, true, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []byte
			src := &chunkReader{err: io.EOF}
			for i, n := range tc.chunks {
				c := bytes.Repeat([]byte{byte('a' + i)}, n)
				want = append(want, c...)
				src.chunks = append(src.chunks, c)
			}
			c := &countingReader{r: src}
			var got []byte
			var usedLarge []bool
			for {
				if c.buffered() == 0 {
					if _, err := c.peek(); err != nil {
						if err != io.EOF {
							t.Fatalf("peek: %v", err)
						}
						break
					}
					usedLarge = append(usedLarge, c.large != nil)
				}
				b, err := c.ReadByte()
				if err != nil {
					t.Fatalf("ReadByte: %v", err)
				}
				got = append(got, b)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("read %d bytes, want %d, or they differ", len(got), len(want))
			}
			if !slices.Equal(usedLarge, tc.wantLarge) {
				t.Errorf("large buffer used per read: %v, want %v", usedLarge, tc.wantLarge)
			}
			if c.large != nil {
				t.Error("the large buffer is still held at the end of the input")
			}
		})
	}
}

// errAfterData returns data together with an error, which must surface
// only after the data was consumed.
type errAfterData struct{ done bool }

var errBoom = errors.New("boom")

func (r *errAfterData) Read(p []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	r.done = true
	return copy(p, "<a/>"), errBoom
}

func TestCountingReaderErrorAfterData(t *testing.T) {
	c := &countingReader{r: &errAfterData{}}
	got, err := io.ReadAll(c)
	if string(got) != "<a/>" || !errors.Is(err, errBoom) {
		t.Fatalf("got %q, %v; want <a/>, %v", got, err, errBoom)
	}
}

func TestCountingReaderLimit(t *testing.T) {
	c := &countingReader{r: strings.NewReader(strings.Repeat("x", 100))}
	c.reset(10)
	for range 10 {
		if _, err := c.ReadByte(); err != nil {
			t.Fatalf("ReadByte within the limit: %v", err)
		}
	}
	if _, err := c.ReadByte(); !errors.Is(err, errTooBig) {
		t.Fatalf("ReadByte past the limit: %v, want errTooBig", err)
	}
	if n, err := c.Read(make([]byte, 5)); n != 0 || !errors.Is(err, errTooBig) {
		t.Fatalf("Read past the limit: %d, %v, want errTooBig", n, err)
	}
	c.reset(10)
	p := make([]byte, 50)
	if n, err := c.Read(p); n != 10 || err != nil {
		t.Fatalf("Read after reset: %d, %v, want 10 bytes", n, err)
	}
}
