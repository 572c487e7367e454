// Package fanout measures MUC (XEP-0045) groupchat fan-out on any XMPP
// server: it logs real clients in over TCP with SASL PLAIN, joins them to
// rooms, has every occupant send numbered groupchat messages, and checks at
// every receiver that each sender's messages arrive exactly once and in
// order, timing each delivery. SetupPEP does the same for XEP-0163 PEP
// notifications: one publisher's items to contacts subscribed to its
// presence whose XEP-0115 caps +notify the node.
//
// It is the engine of cmd/mucbench and of the Go benchmarks in package
// bench, and is deliberately server-agnostic so that the same run can be
// pointed at muctest, Prosody and ejabberd.
//
// Every message body carries a marker "#mb:SENDER:SEQ:NANOS#" (NANOS is the
// send time on the load generator's monotonic clock), which is all a
// receiver needs: during the measured phase the receivers scan the byte
// stream for markers instead of parsing XML, so that the load generator,
// which shares the CPU with the server on a small machine, stays cheap.
// After its last message each sender sends a marker with SEQ = Messages
// (a "fin"); a receiver is done when it has every fin of its room, and
// whatever it has not received by then is counted lost.
package fanout

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

// Config describes one fan-out run.
type Config struct {
	// Addr is the server's client-to-server address, host:port.
	Addr string
	// Domain is the server's XMPP domain ("localhost" when empty);
	// MUCDomain the MUC service ("conference.<Domain>" when empty).
	Domain    string
	MUCDomain string
	// Rooms, Occupants and Messages: Occupants clients are spread evenly
	// (round-robin) over Rooms rooms and each sends Messages groupchat
	// messages.
	Rooms, Occupants, Messages int
	// Password is sent with SASL PLAIN; servers in test mode accept any.
	Password string
	// Rate caps the total send rate in messages per second, spread evenly
	// over the senders; 0 sends as fast as the sockets take them.
	Rate float64
	// Timeout bounds each setup step and the whole measured phase
	// (default 60s).
	Timeout time.Duration
	// Prefix makes user and room names unique to this run; random when
	// empty.
	Prefix string
	// Concurrency bounds how many logins and joins are in flight
	// (default 16).
	Concurrency int
	// RoomConfig holds muc#roomconfig fields the creator of each room
	// submits (e.g. muc#roomconfig_enablearchiving=0 so that no server
	// archives); empty submits an empty form, making an instant room with
	// the server's defaults.
	RoomConfig []Field
	// Dial, when set, opens each client's connection instead of a TCP
	// dial to Addr: mucbench -ws passes websocket.Dial, whose connection
	// carries the same byte stream over RFC 7395.
	Dial func(ctx context.Context) (net.Conn, error)
}

// Field is one field of a submitted data form (XEP-0004).
type Field struct{ Var, Value string }

// configForm is the muc#owner submission for fields.
func configForm(fields []Field) string {
	if len(fields) == 0 {
		return "<x xmlns='" + nsXData + "' type='submit'/>"
	}
	var b strings.Builder
	b.WriteString("<x xmlns='" + nsXData + "' type='submit'><field var='FORM_TYPE' type='hidden'><value>" +
		nsRoomConfig + "</value></field>")
	for _, f := range fields {
		b.WriteString("<field var='" + xmlEscape(f.Var) + "'><value>" + xmlEscape(f.Value) + "</value></field>")
	}
	b.WriteString("</x>")
	return b.String()
}

// MaxDeliveries bounds Occupants²/Rooms × Messages so that a run cannot
// exhaust the machine (every delivery's latency is kept for percentiles).
const MaxDeliveries = 20_000_000

// Result is what one run measured.
type Result struct {
	Rooms, Occupants, Messages int
	// Setup is the time taken to log every client in and join every room.
	Setup time.Duration
	// Sent is the number of data messages sent; Expected the number of
	// deliveries they should cause (every occupant of a room, sender
	// included, receives each message of the room).
	Sent, Expected int64
	// Delivered counts distinct data messages received; Lost the expected
	// ones never received; Duplicated those received more than once;
	// OutOfOrder those received after a later message of the same sender;
	// Errors the <error/> elements seen in the measured phase.
	Delivered, Lost, Duplicated, OutOfOrder, Errors int64
	// Elapsed runs from the first send to the last delivery.
	Elapsed time.Duration
	// PerSecond is Delivered / Elapsed.
	PerSecond float64
	// Latency percentiles from send to receipt.
	P50, P99, Max time.Duration
	// TimedOut reports that the measured phase hit Timeout.
	TimedOut bool
}

// OK reports whether the run delivered everything exactly once, in order.
func (r *Result) OK() bool {
	return !r.TimedOut && r.Lost == 0 && r.Duplicated == 0 && r.OutOfOrder == 0 && r.Errors == 0 && r.Delivered == r.Expected
}

// Bench is a prepared run: clients logged in and joined, waiting for Run.
// The split lets a caller sample the server's memory at steady state
// (everyone joined) before the messages flow.
type Bench struct {
	cfg   Config
	occ   []*occupant
	rooms []string // room bare JIDs
	setup time.Duration
	epoch time.Time // origin of the NANOS in markers
	ran   bool
}

// occupant is one client in one room: its connection, its join state and,
// once the measured phase starts, what it has received from each sender.
type occupant struct {
	idx, room, local int // global index, room index, index within the room
	nick, roomJID    string
	c                *conn
	need             int // occupants of the room, self included
	present          map[string]bool
	ready            chan struct{}
	readErr          error

	from       []sequence // by sender's index within the room
	fins       int
	tally      // of the measured phase
	sendErr    error
	sendBuf    []byte
	reading    bool // the reader goroutine was started
	readerDone chan struct{}
	finished   bool // every fin arrived
}

// Setup logs cfg.Occupants clients in and joins them to cfg.Rooms rooms:
// the first occupant of each room creates it and submits an empty owner
// configuration form (an instant room), then the others join. It returns
// when every occupant has seen every other occupant of its room present.
func Setup(ctx context.Context, cfg Config) (*Bench, error) {
	if cfg.Domain == "" {
		cfg.Domain = "localhost"
	}
	if cfg.MUCDomain == "" {
		cfg.MUCDomain = "conference." + cfg.Domain
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.Password == "" {
		cfg.Password = "password"
	}
	if cfg.Rooms < 1 || cfg.Occupants < cfg.Rooms || cfg.Messages < 1 {
		return nil, fmt.Errorf("fanout: need rooms >= 1, occupants >= rooms, messages >= 1 (got %d, %d, %d)",
			cfg.Rooms, cfg.Occupants, cfg.Messages)
	}
	if d := deliveries(cfg); d > MaxDeliveries {
		return nil, fmt.Errorf("fanout: %d deliveries exceed the bound of %d", d, MaxDeliveries)
	}
	if cfg.Prefix == "" {
		var b [3]byte
		_, _ = rand.Read(b[:])
		cfg.Prefix = "mb" + hex.EncodeToString(b[:])
	}
	b := &Bench{cfg: cfg, epoch: time.Now()}
	for r := 0; r < cfg.Rooms; r++ {
		b.rooms = append(b.rooms, fmt.Sprintf("%s-room%d@%s", cfg.Prefix, r, cfg.MUCDomain))
	}
	for i := 0; i < cfg.Occupants; i++ {
		room := i % cfg.Rooms
		need := cfg.Occupants / cfg.Rooms
		if room < cfg.Occupants%cfg.Rooms {
			need++
		}
		b.occ = append(b.occ, &occupant{
			idx: i, room: room, local: i / cfg.Rooms, need: need,
			nick: "o" + strconv.Itoa(i), roomJID: b.rooms[room],
			present: make(map[string]bool), ready: make(chan struct{}),
			readerDone: make(chan struct{}),
		})
	}
	start := time.Now()
	err := b.forAll(ctx, b.occ, func(o *occupant) error {
		c, err := dial(ctx, cfg.Dial, cfg.Addr, cfg.Domain, fmt.Sprintf("%s-u%d", cfg.Prefix, o.idx), cfg.Password, cfg.Timeout)
		o.c = c
		return err
	})
	if err == nil {
		// Owners first (they create the rooms), then everyone else.
		err = b.forAll(ctx, b.occ[:cfg.Rooms], func(o *occupant) error { return b.join(o, true) })
	}
	if err == nil {
		err = b.forAll(ctx, b.occ[cfg.Rooms:], func(o *occupant) error { return b.join(o, false) })
	}
	if err == nil {
		err = b.waitReady(ctx)
	}
	if err != nil {
		b.Close()
		return nil, err
	}
	b.setup = time.Since(start)
	return b, nil
}

func deliveries(cfg Config) int64 {
	var d int64
	for r := 0; r < cfg.Rooms; r++ {
		n := int64(cfg.Occupants / cfg.Rooms)
		if r < cfg.Occupants%cfg.Rooms {
			n++
		}
		d += n * n * int64(cfg.Messages)
	}
	return d
}

// forAll runs f for every occupant with bounded concurrency and returns
// the first error.
func (b *Bench) forAll(ctx context.Context, occ []*occupant, f func(*occupant) error) error {
	return forEach(ctx, b.cfg.Concurrency, occ, f)
}

// forEach runs f for every element of xs, at most limit at once, and
// returns the first error (or ctx's, once it is done): the set-up loop of
// both the MUC and the PEP runs.
func forEach[T any](ctx context.Context, limit int, xs []T, f func(T) error) error {
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for _, x := range xs {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(x); err != nil {
				once.Do(func() { first = err })
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// join sends o's MUC join and reads until its own presence comes back;
// an owner then configures the new room as an instant room. After that a
// goroutine keeps reading o's stream.
func (b *Bench) join(o *occupant, owner bool) error {
	c := o.c
	_ = c.nc.SetDeadline(time.Now().Add(b.cfg.Timeout))
	err := c.sendRaw("<presence to='" + xmlEscape(o.roomJID+"/"+o.nick) + "'><x xmlns='" + nsMUC +
		"'><history maxstanzas='0'/></x></presence>")
	if err != nil {
		return fmt.Errorf("fanout: join %s: %w", o.nick, err)
	}
	var self *xmlnode.Element
	for self == nil {
		el, err := c.next()
		if err != nil {
			return fmt.Errorf("fanout: join %s: %w", o.nick, err)
		}
		if s, err := o.observe(el); err != nil {
			return err
		} else if s {
			self = el
		}
	}
	if owner && hasStatus(self, "201") {
		err := c.sendRaw("<iq type='set' id='cfg' to='" + xmlEscape(o.roomJID) + "'><query xmlns='" + nsMUCOwner +
			"'>" + configForm(b.cfg.RoomConfig) + "</query></iq>")
		if err != nil {
			return fmt.Errorf("fanout: configure %s: %w", o.roomJID, err)
		}
		for {
			el, err := c.next()
			if err != nil {
				return fmt.Errorf("fanout: configure %s: %w", o.roomJID, err)
			}
			if el.Name.Local == "iq" && el.Attrib("id") == "cfg" {
				if el.Attrib("type") != "result" {
					return fmt.Errorf("fanout: configure %s: %s", o.roomJID, el)
				}
				break
			}
			if _, err := o.observe(el); err != nil {
				return err
			}
		}
	}
	_ = c.nc.SetDeadline(time.Time{})
	o.reading = true
	go o.read(b)
	return nil
}

// observe tracks the room's presences during setup. It reports whether el
// is o's own presence, and fails on a presence error from the room.
func (o *occupant) observe(el *xmlnode.Element) (self bool, err error) {
	if el.Name.Local != "presence" {
		return false, nil
	}
	from := el.Attrib("from")
	room, nick, ok := cutResource(from)
	if !ok || room != o.roomJID {
		return false, nil
	}
	switch el.Attrib("type") {
	case "":
		o.present[nick] = true
	case "unavailable":
		delete(o.present, nick)
	case "error":
		return false, fmt.Errorf("fanout: join %s as %s refused: %s", o.roomJID, o.nick, el)
	}
	return nick == o.nick, nil
}

func cutResource(j string) (bare, res string, ok bool) {
	for i := 0; i < len(j); i++ {
		if j[i] == '/' {
			return j[:i], j[i+1:], true
		}
	}
	return j, "", false
}

func hasStatus(el *xmlnode.Element, code string) bool {
	for _, x := range el.ChildrenNamed(nsMUCUser, "x") {
		for _, s := range x.ChildrenNamed(nsMUCUser, "status") {
			if s.Attrib("code") == code {
				return true
			}
		}
	}
	return false
}

// waitReady waits until every occupant has seen its whole room.
func (b *Bench) waitReady(ctx context.Context) error {
	timer := time.NewTimer(b.cfg.Timeout)
	defer timer.Stop()
	for _, o := range b.occ {
		select {
		case <-o.ready:
		case <-o.readerDone:
			return fmt.Errorf("fanout: %s stopped reading during setup: %w", o.nick, o.readErr)
		case <-timer.C:
			return fmt.Errorf("fanout: %s did not see its %d room occupants within %v", o.nick, o.need, b.cfg.Timeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// read is o's reader goroutine: XML stanzas until the room is complete,
// then the marker scanner until every fin has arrived or the connection
// ends.
func (o *occupant) read(b *Bench) {
	defer close(o.readerDone)
	for len(o.present) < o.need {
		el, err := o.c.next()
		if err != nil {
			o.readErr = err
			return
		}
		if _, err := o.observe(el); err != nil {
			o.readErr = err
			return
		}
	}
	o.from = make([]sequence, o.need)
	for i := range o.from {
		o.from[i] = newSequence(b.cfg.Messages)
	}
	o.lat = make([]int64, 0, o.need*b.cfg.Messages)
	close(o.ready)
	o.readErr = o.scan(b)
}

var (
	marker   = []byte("#mb:")
	errorTag = []byte("<error")
)

// scan reads the raw stream and records every marker until all fins of
// the room have arrived.
func (o *occupant) scan(b *Bench) error {
	return readMarkers(o.c.r, o.nick, func(data []byte, now time.Time) int { return o.process(b, data, now) },
		func() bool {
			if o.fins == o.need {
				o.finished = true
				return true
			}
			return false
		})
}

// readMarkers is the measured phase of a load client, an occupant's or a
// PEP contact's: it reads r and hands what arrived to process (which
// returns the offset to keep for the next read, see scanMarkers) until
// done says every marker it waits for has come; who names the client in
// errors.
func readMarkers(r io.Reader, who string, process func(data []byte, now time.Time) int, done func() bool) error {
	buf := make([]byte, 0, 64<<10)
	for {
		if len(buf) == cap(buf) {
			return errors.New("fanout: marker longer than the read buffer")
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		now := time.Now()
		buf = buf[:len(buf)+n]
		keep := process(buf, now)
		if done() {
			return nil
		}
		buf = buf[:copy(buf, buf[keep:])]
		if err != nil {
			return fmt.Errorf("fanout: %s: read: %w", who, err)
		}
	}
}

// process records the complete markers in data and returns the offset
// from which data must be kept for the next read (scanMarkers).
func (o *occupant) process(b *Bench, data []byte, now time.Time) int {
	return scanMarkers(data, &o.errs, func(f []byte) { o.record(b, f, now) })
}

// scanMarkers calls record with the field of every complete marker in
// data, counts the error stanzas before, between and after them into
// errs, and returns the offset from which data must be kept for the next
// read: a partial marker, or a tail that may begin one or an error tag.
func scanMarkers(data []byte, errs *int64, record func(field []byte)) int {
	i := 0
	for {
		j := bytes.Index(data[i:], marker)
		if j < 0 {
			break
		}
		j += i
		k := bytes.IndexByte(data[j+len(marker):], '#')
		*errs += int64(bytes.Count(data[i:j], errorTag))
		if k < 0 {
			return j
		}
		record(data[j+len(marker) : j+len(marker)+k])
		i = j + len(marker) + k + 1
	}
	*errs += int64(bytes.Count(data[i:], errorTag))
	return max(len(data)-(len(errorTag)-1), i)
}

func (o *occupant) record(b *Bench, f []byte, now time.Time) {
	sender, f, ok1 := cutInt(f)
	seq, f, ok2 := cutInt(f)
	nanos, _, ok3 := cutInt(f)
	if !ok1 || !ok2 || !ok3 || sender < 0 || seq < 0 || sender >= len(b.occ) || b.occ[sender].room != o.room || seq > b.cfg.Messages {
		o.bogus++
		return
	}
	st := &o.from[b.occ[sender].local]
	if seq == b.cfg.Messages {
		if o.finArrived(st) {
			o.fins++
		}
		return
	}
	o.arrive(st, seq, nanos, now, b.epoch)
}

// cutInt parses a decimal integer up to the next ':' or the end.
func cutInt(f []byte) (int, []byte, bool) {
	n, i := 0, 0
	for ; i < len(f) && f[i] != ':'; i++ {
		c := f[i]
		if c < '0' || c > '9' || i >= 18 { // 18 digits cannot overflow
			return 0, nil, false
		}
		n = n*10 + int(c-'0')
	}
	if i == 0 {
		return 0, nil, false
	}
	if i < len(f) {
		i++
	}
	return n, f[i:], true
}

// Run has every occupant send Messages groupchat messages (and a fin) and
// waits until every receiver has every fin, or Timeout. It may be called
// once.
func (b *Bench) Run(ctx context.Context) (*Result, error) {
	if b.ran {
		return nil, errors.New("fanout: Run called twice")
	}
	b.ran = true
	cfg := b.cfg
	res := &Result{Rooms: cfg.Rooms, Occupants: cfg.Occupants, Messages: cfg.Messages, Setup: b.setup,
		Expected: deliveries(cfg)}
	var interval time.Duration
	if cfg.Rate > 0 {
		interval = time.Duration(float64(cfg.Occupants) / cfg.Rate * float64(time.Second))
	}
	start := time.Now()
	var sent atomic.Int64
	var wg sync.WaitGroup
	for _, o := range b.occ {
		_ = o.c.nc.SetWriteDeadline(start.Add(cfg.Timeout))
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.send(b, start, interval, &sent)
		}()
	}
	wg.Wait()
	res.Sent = sent.Load()
	waits := make([]<-chan struct{}, len(b.occ))
	for i, o := range b.occ {
		waits[i] = o.readerDone
	}
	res.TimedOut = !waitAll(ctx, cfg.Timeout, waits)
	// Stop the readers still running (time-out or broken connection) so
	// that their counters can be read.
	for _, o := range b.occ {
		select {
		case <-o.readerDone:
		default:
			if !o.reading {
				continue
			}
			o.c.nc.Close()
			<-o.readerDone
		}
	}
	var firstErr error
	tallies := make([]*tally, len(b.occ))
	for i, o := range b.occ {
		tallies[i] = &o.tally
		if firstErr == nil && o.sendErr != nil {
			firstErr = o.sendErr
		}
		if firstErr == nil && !o.finished && o.readErr != nil && !res.TimedOut {
			firstErr = o.readErr
		}
	}
	res.add(start, tallies...)
	return res, firstErr
}

// send writes o's messages, paced when interval > 0, then its fin.
func (o *occupant) send(b *Bench, start time.Time, interval time.Duration, sent *atomic.Int64) {
	n := b.cfg.Messages
	offset := time.Duration(0)
	if interval > 0 {
		offset = interval * time.Duration(o.idx) / time.Duration(len(b.occ))
	}
	to := xmlEscape(o.roomJID)
	for seq := 0; seq <= n; seq++ {
		if interval > 0 && seq < n {
			if d := time.Until(start.Add(offset + time.Duration(seq)*interval)); d > 0 {
				time.Sleep(d)
			}
		}
		buf := o.sendBuf[:0]
		buf = append(buf, "<message type='groupchat' to='"...)
		buf = append(buf, to...)
		buf = append(buf, "' id='m"...)
		buf = strconv.AppendInt(buf, int64(seq), 10)
		buf = append(buf, "'><body>#mb:"...)
		buf = strconv.AppendInt(buf, int64(o.idx), 10)
		buf = append(buf, ':')
		buf = strconv.AppendInt(buf, int64(seq), 10)
		buf = append(buf, ':')
		buf = strconv.AppendInt(buf, int64(time.Since(b.epoch)), 10)
		buf = append(buf, "#</body></message>"...)
		o.sendBuf = buf
		if _, err := o.c.nc.Write(buf); err != nil {
			if !errors.Is(err, net.ErrClosed) {
				o.sendErr = fmt.Errorf("fanout: %s: send: %w", o.nick, err)
			}
			return
		}
		if seq < n {
			sent.Add(1)
		}
	}
}

// Close ends every client's stream and connection.
func (b *Bench) Close() {
	var wg sync.WaitGroup
	for _, o := range b.occ {
		if o.c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.c.close()
		}()
	}
	wg.Wait()
	for _, o := range b.occ {
		if o.reading {
			<-o.readerDone
		}
	}
}
