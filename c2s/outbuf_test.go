package c2s

import (
	"bytes"
	"strings"
	"testing"
)

func TestOutBuf(t *testing.T) {
	tests := []struct {
		name   string
		sizes  []int // bytes appended per stanza
		chunks int   // chunks used
	}{
		{"one small stanza", []int{300}, 1},
		{"fills one chunk", []int{1000, 1000, 1000, 500}, 1},
		{"spills into a second", []int{1000, 1000, 1000, 700, 200}, 2},
		{"many small", repeat(300, 40), 4},
		{"one stanza larger than a chunk", []int{10000}, 1},
		{"huge after small: the chunk grows, is full, and is replaced at reset", []int{100, 20000, 100}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Not from the pool: a pooled outBuf's first chunk may have
			// grown (up to maxPooledChunk) in an earlier batch.
			o := &outBuf{chunks: []*chunk{newChunk()}}
			var want bytes.Buffer
			for i, n := range tc.sizes {
				p := strings.Repeat(string(rune('a'+i%26)), n)
				c := o.tail()
				c.b = append(c.b, p...)
				want.WriteString(p)
			}
			if len(o.chunks) != tc.chunks {
				t.Errorf("%d chunks, want %d", len(o.chunks), tc.chunks)
			}
			var got bytes.Buffer
			if err := o.writeTo(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("wrote %d bytes, want %d (or different bytes)", got.Len(), want.Len())
			}
			o.reset()
			if len(o.chunks) != 1 || len(o.chunks[0].b) != 0 || cap(o.chunks[0].b) > maxPooledChunk {
				t.Fatalf("after reset: %d chunks, first len %d cap %d; want one empty pooled chunk",
					len(o.chunks), len(o.chunks[0].b), cap(o.chunks[0].b))
			}
			for _, b := range o.iov {
				if b != nil {
					t.Fatal("the scratch list still points at written bytes")
				}
			}
			// Reusable: a second batch after reset writes only itself.
			c := o.tail()
			c.b = append(c.b, "again"...)
			got.Reset()
			if err := o.writeTo(&got); err != nil || got.String() != "again" {
				t.Fatalf("second batch wrote %q, %v", got.String(), err)
			}
			putOutBuf(o)
		})
	}
}

func repeat(n, times int) []int {
	out := make([]int, times)
	for i := range out {
		out[i] = n
	}
	return out
}

// TestTakeFront checks the writer's batching: each batch takes whole
// chunks from the front, up to the byte bound but at least one chunk, and
// the bytes of all batches in order are the bytes queued.
func TestTakeFront(t *testing.T) {
	tests := []struct {
		name    string
		sizes   []int
		max     int
		batches []int // chunks per batch
	}{
		{"everything in one", []int{300, 300}, maxBatch, []int{2}},
		{"bounded", repeat(3700, 6), 7400, []int{2, 2, 2}},
		{"a chunk over the bound goes alone", []int{20000, 100}, 7000, []int{1, 1}},
		{"64 KiB batches", repeat(3700, 40), maxBatch, []int{17, 17, 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// One chunk per size, made here: pooled chunks may have grown.
			o := &outBuf{}
			var want bytes.Buffer
			total := 0
			for i, n := range tc.sizes {
				p := strings.Repeat(string(rune('a'+i%26)), n)
				o.chunks = append(o.chunks, &chunk{b: []byte(p)})
				want.WriteString(p)
				total += n
			}
			var got bytes.Buffer
			var batches []int
			for total > 0 {
				dst := getOutBuf()
				n := o.takeFront(dst, tc.max)
				if n == 0 || len(o.chunks) == 0 {
					t.Fatalf("takeFront moved %d bytes, left %d chunks", n, len(o.chunks))
				}
				total -= n
				batches = append(batches, len(dst.chunks))
				if err := dst.writeTo(&got); err != nil {
					t.Fatal(err)
				}
				putOutBuf(dst)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("batches wrote %d bytes, want %d (or different bytes)", got.Len(), want.Len())
			}
			if len(batches) != len(tc.batches) {
				t.Fatalf("batches of %v chunks, want %v", batches, tc.batches)
			}
			for i := range batches {
				if batches[i] != tc.batches[i] {
					t.Fatalf("batches of %v chunks, want %v", batches, tc.batches)
				}
			}
			if len(o.chunks) != 1 || len(o.chunks[0].b) != 0 {
				t.Fatalf("emptied queue has %d chunks; want one empty chunk to append to", len(o.chunks))
			}
		})
	}
}
