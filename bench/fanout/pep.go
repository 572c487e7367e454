package fanout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/muctest/muctest/caps"
	"github.com/muctest/muctest/xmlnode"
)

// The PEP run (XEP-0163): one publisher, Contacts contacts with mutual
// presence subscriptions, each contact's XEP-0115 caps saying +notify for
// the node. The publisher publishes Items items; every contact must get
// each notification exactly once, in order. It is server-agnostic like
// the MUC run: the subscriptions are made with ordinary RFC 6121 stanzas
// and the interest with caps, the way real clients do it, so Prosody's
// mod_pep, ejabberd's mod_pubsub and muctest are measured alike.

// Namespaces of the PEP run.
const (
	nsRoster       = "jabber:iq:roster"
	nsPubSub       = "http://jabber.org/protocol/pubsub"
	nsBenchItem    = "urn:xmpp:muctest:bench:0"
	capsNode       = "https://github.com/muctest/muctest/bench"
	defaultPEPNode = "urn:xmpp:muctest:bench:pep"
)

// pepSubscribeBatch is how many contacts subscribe at a time.
const pepSubscribeBatch = 10

// PEPConfig describes one PEP notification run.
type PEPConfig struct {
	// Addr, Domain, Password, Timeout, Prefix, Concurrency and Dial are
	// as in Config.
	Addr, Domain, Password string
	Timeout                time.Duration
	Prefix                 string
	Concurrency            int
	Dial                   func(ctx context.Context) (net.Conn, error)
	// Contacts is the number of contacts notified of each publish; Items
	// the number of items published (each one publish).
	Contacts, Items int
	// Rate caps the publishes per second; 0 publishes as fast as the
	// server answers.
	Rate float64
	// Window is how many publishes may await their result (default 1:
	// each publish waits for the previous one's result, so that
	// notifications per second is what one publish to Contacts costs;
	// and Prosody's bench config, whose clock is frozen, stalls a
	// connection with a burst of more than a few KiB unread).
	Window int
	// Node is the PEP node published to (default urn:xmpp:muctest:bench:pep),
	// with the server's default configuration (presence access).
	Node string
}

// PEPBench is a prepared PEP run: everyone logged in, subscribed both
// ways, and every contact known to be notified (it has received the
// warm-up item), waiting for Run.
type PEPBench struct {
	cfg      PEPConfig
	pub      *pepClient
	contacts []*pepClient
	setup    time.Duration
	epoch    time.Time
	ran      bool
}

// pepClient is the publisher or one contact. Its reader goroutine parses
// stanzas while setting up and answers what the server asks of a client
// (subscription requests, caps queries, roster pushes); a contact's then
// scans the raw stream for the markers of the measured phase.
type pepClient struct {
	c        *conn
	bare     string
	notify   bool // a contact: its caps +notify the node
	mu       sync.Mutex
	both     map[string]bool // bare JIDs with subscription "both"
	results  chan *xmlnode.Element
	selfSeen chan struct{}
	selfOnce sync.Once
	warm     chan struct{} // the warm-up item arrived (a contact)
	warmOnce sync.Once
	startScn chan struct{} // closed by Run: go on to the byte scanner
	done     chan struct{} // reader ended
	readErr  error
	wmu      sync.Mutex
	wq       []byte        // replies queued for writer
	wake     chan struct{} // wakes writer

	// Measured phase, receiving side: the publisher's markers.
	sequence
	tally
	finished bool

	// Publisher side: publish results.
	acked, failed atomic.Int64
	allAcked      chan struct{}
	ack           chan struct{} // one per publish result
}

// capsQuery returns the load client's disco#info answer, with +notify for
// node when notify (a contact), and its XEP-0115 verification string.
func capsQuery(node string, notify bool) (query string, ver string) {
	var b strings.Builder
	b.WriteString("<query xmlns='" + caps.NSDiscoInfo + "'>")
	b.WriteString("<identity category='client' type='bot' name='mucbench'/>")
	b.WriteString("<feature var='" + caps.NSDiscoInfo + "'/>")
	if notify {
		b.WriteString("<feature var='" + xmlEscape(node) + "+notify'/>")
	}
	b.WriteString("</query>")
	return b.String(), caps.Ver(xmlnode.MustParse(b.String()))
}

// SetupPEP logs the publisher and cfg.Contacts contacts in, makes every
// contact and the publisher subscribe to each other's presence (each
// approving the other's request), has every client announce its caps,
// publishes a warm-up item and returns once every contact has received
// it: then the server knows every contact's interest.
func SetupPEP(ctx context.Context, cfg PEPConfig) (*PEPBench, error) {
	if cfg.Domain == "" {
		cfg.Domain = "localhost"
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
	if cfg.Node == "" {
		cfg.Node = defaultPEPNode
	}
	if cfg.Window <= 0 {
		cfg.Window = 1
	}
	if cfg.Contacts < 1 || cfg.Items < 1 {
		return nil, fmt.Errorf("fanout: need contacts >= 1, items >= 1 (got %d, %d)", cfg.Contacts, cfg.Items)
	}
	if d := int64(cfg.Contacts) * int64(cfg.Items); d > MaxDeliveries {
		return nil, fmt.Errorf("fanout: %d deliveries exceed the bound of %d", d, MaxDeliveries)
	}
	if cfg.Prefix == "" {
		var b [3]byte
		_, _ = rand.Read(b[:])
		cfg.Prefix = "mb" + hex.EncodeToString(b[:])
	}
	b := &PEPBench{cfg: cfg, epoch: time.Now()}
	newClient := func(user string, notify bool) *pepClient {
		c := &pepClient{sequence: sequence{max: -1},
			bare: user + "@" + cfg.Domain, notify: notify, both: map[string]bool{},
			results: make(chan *xmlnode.Element, 4), selfSeen: make(chan struct{}), warm: make(chan struct{}),
			startScn: make(chan struct{}), wake: make(chan struct{}, 1), done: make(chan struct{}), allAcked: make(chan struct{}), ack: make(chan struct{}, cfg.Items+1),
		}
		if notify {
			c.sequence, c.lat = newSequence(cfg.Items), make([]int64, 0, cfg.Items)
		}
		return c
	}
	b.pub = newClient(cfg.Prefix+"-pub", false)
	for i := 0; i < cfg.Contacts; i++ {
		b.contacts = append(b.contacts, newClient(fmt.Sprintf("%s-c%d", cfg.Prefix, i), true))
	}
	all := append([]*pepClient{b.pub}, b.contacts...)
	start := time.Now()
	err := b.each(ctx, all, func(p *pepClient) error {
		c, err := dial(ctx, cfg.Dial, cfg.Addr, cfg.Domain, strings.TrimSuffix(p.bare, "@"+cfg.Domain), cfg.Password, cfg.Timeout)
		if err != nil {
			return err
		}
		p.c = c
		go p.read(b)
		go p.writer()
		return p.online(b)
	})
	step := func(f func(p *pepClient) error) {
		if err == nil {
			err = b.each(ctx, all, f)
		}
	}
	// Subscriptions both ways: each contact asks for the publisher's
	// presence and the publisher for each contact's; the readers approve.
	// A few contacts at a time, so that little waits unread on the
	// publisher's connection: Prosody's bench config freezes its clock,
	// and a connection with more than 8 KiB waiting is paused on a timer
	// that never fires.
	for lo := 0; err == nil && lo < len(b.contacts); lo += pepSubscribeBatch {
		batch := b.contacts[lo:min(lo+pepSubscribeBatch, len(b.contacts))]
		var sb strings.Builder
		for _, c := range batch {
			if err = c.send("<presence type='subscribe' to='" + xmlEscape(b.pub.bare) + "'/>"); err != nil {
				break
			}
			sb.WriteString("<presence type='subscribe' to='" + xmlEscape(c.bare) + "'/>")
		}
		if err == nil {
			err = b.pub.send(sb.String())
		}
		if err == nil {
			err = b.waitFor(ctx, "mutual subscriptions", func() bool {
				for _, c := range batch {
					b.pub.mu.Lock()
					ok := b.pub.both[c.bare]
					b.pub.mu.Unlock()
					c.mu.Lock()
					ok = ok && c.both[b.pub.bare]
					c.mu.Unlock()
					if !ok {
						return false
					}
				}
				return true
			})
		}
	}
	// Presence again, now that the publisher is subscribed: the caps
	// reach the publisher's account (servers learn the interest here).
	step(func(p *pepClient) error {
		if p == b.pub {
			return nil
		}
		return p.send(p.presence(b))
	})
	// The warm-up item: delivered live, or as the last item once the
	// server knows a contact's interest. Published again every 200 ms
	// until every contact has it: a server may learn a contact's caps
	// just after a publish without sending it the last item (ejabberd).
	if err == nil {
		err = b.warmUp(ctx)
	}
	if err != nil {
		b.Close()
		return nil, err
	}
	b.setup = time.Since(start)
	return b, nil
}

// warmUp publishes the warm-up item until every contact has received it.
func (b *PEPBench) warmUp(ctx context.Context) error {
	deadline := time.NewTimer(b.cfg.Timeout)
	defer deadline.Stop()
	again := time.NewTicker(200 * time.Millisecond)
	defer again.Stop()
	i := 0
	for n := 0; ; n++ {
		if err := b.pub.send(b.publishStanza("w"+strconv.Itoa(n), "#mbw#")); err != nil {
			return err
		}
	wait:
		for ; i < len(b.contacts); i++ {
			c := b.contacts[i]
			select {
			case <-c.warm:
			case <-again.C:
				break wait
			case <-c.done:
				return fmt.Errorf("fanout: contact %d stopped reading during setup: %w", i, c.readErr)
			case <-deadline.C:
				return fmt.Errorf("fanout: contact %d was not notified of the warm-up item within %v", i, b.cfg.Timeout)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if i == len(b.contacts) {
			return nil
		}
	}
}

// each runs f for every client with bounded concurrency.
func (b *PEPBench) each(ctx context.Context, cs []*pepClient, f func(*pepClient) error) error {
	return forEach(ctx, b.cfg.Concurrency, cs, f)
}

// waitFor polls cond (every few milliseconds: the readers of many
// connections feed it) until it holds or the timeout.
func (b *PEPBench) waitFor(ctx context.Context, what string, cond func() bool) error {
	deadline := time.Now().Add(b.cfg.Timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("fanout: no %s within %v", what, b.cfg.Timeout)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// reply queues s for the client's writer goroutine: the reader must never
// block on a write, or a server that stops reading a client whose
// output it cannot deliver (Prosody does) and this client would wait on
// each other.
func (p *pepClient) reply(s string) error {
	p.wmu.Lock()
	p.wq = append(p.wq, s...)
	p.wmu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

// writer sends what reply queued until the reader ends.
func (p *pepClient) writer() {
	var buf []byte
	for {
		select {
		case <-p.wake:
		case <-p.done:
			return
		}
		p.wmu.Lock()
		buf, p.wq = p.wq, buf[:0]
		p.wmu.Unlock()
		if _, err := p.c.nc.Write(buf); err != nil {
			return
		}
	}
}

func (p *pepClient) send(s string) error {
	if err := p.c.sendRaw(s); err != nil {
		return fmt.Errorf("fanout: %s: %w", p.bare, err)
	}
	return nil
}

func (p *pepClient) presence(b *PEPBench) string {
	_, ver := capsQuery(b.cfg.Node, p.notify)
	return "<presence><c xmlns='" + caps.NS + "' hash='sha-1' node='" + capsNode + "' ver='" + ver + "'/></presence>"
}

// online fetches the roster (servers deliver subscription requests to
// resources that did) and sends initial presence with caps, waiting for
// it to come back.
func (p *pepClient) online(b *PEPBench) error {
	if err := p.send("<iq type='get' id='b-roster'><query xmlns='" + nsRoster + "'/></iq>"); err != nil {
		return err
	}
	timer := time.NewTimer(b.cfg.Timeout)
	defer timer.Stop()
	select {
	case r := <-p.results:
		if r.Attrib("type") != "result" {
			return fmt.Errorf("fanout: %s: roster: %s", p.bare, r)
		}
	case <-p.done:
		return fmt.Errorf("fanout: %s: %w", p.bare, p.readErr)
	case <-timer.C:
		return fmt.Errorf("fanout: %s: no roster within %v", p.bare, b.cfg.Timeout)
	}
	if err := p.send(p.presence(b)); err != nil {
		return err
	}
	select {
	case <-p.selfSeen:
		return nil
	case <-p.done:
		return fmt.Errorf("fanout: %s: %w", p.bare, p.readErr)
	case <-timer.C:
		return fmt.Errorf("fanout: %s: own presence not back within %v", p.bare, b.cfg.Timeout)
	}
}

func (b *PEPBench) publishStanza(id, marker string) string {
	return "<iq type='set' id='" + id + "'><pubsub xmlns='" + nsPubSub + "'><publish node='" + xmlEscape(b.cfg.Node) +
		"'><item id='current'><x xmlns='" + nsBenchItem + "'>" + marker + "</x></item></publish></pubsub></iq>"
}

// read parses stanzas and answers them until Setup says the measured
// phase begins (contacts) or the connection ends (the publisher, which
// goes on counting publish results).
func (p *pepClient) read(b *PEPBench) {
	defer close(p.done)
	query, _ := capsQuery(b.cfg.Node, p.notify)
	for {
		if p.notify {
			select {
			case <-p.startScn:
				p.readErr = p.scan(b)
				p.finished = p.fin
				return
			default:
			}
		}
		el, err := p.c.next()
		if err != nil {
			p.readErr = err
			return
		}
		if p.notify {
			select {
			case <-p.startScn:
				// Parsed rather than scanned: account its markers the
				// same way (the decoder consumed nothing beyond it).
				p.process(b, []byte(el.String()), time.Now())
				if !p.fin {
					p.readErr = p.scan(b)
				}
				p.finished = p.fin
				return
			default:
			}
		}
		if err := p.handle(b, el, query); err != nil {
			p.readErr = err
			return
		}
	}
}

func (p *pepClient) handle(b *PEPBench, el *xmlnode.Element, query string) error {
	from := el.Attrib("from")
	switch el.Name.Local {
	case "iq":
		id := el.Attrib("id")
		switch typ := el.Attrib("type"); typ {
		case "get":
			if q := el.Child(caps.NSDiscoInfo, "query"); q != nil {
				answer := query
				if n := q.Attrib("node"); n != "" {
					answer = strings.Replace(query, "<query ", "<query node='"+xmlEscape(n)+"' ", 1)
				}
				return p.reply("<iq type='result' id='" + xmlEscape(id) + "' to='" + xmlEscape(from) + "'>" + answer + "</iq>")
			}
			return p.reply("<iq type='error' id='" + xmlEscape(id) + "' to='" + xmlEscape(from) +
				"'><error type='cancel'><feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>")
		case "set":
			if q := el.Child(nsRoster, "query"); q != nil {
				for _, it := range q.ChildrenNamed(nsRoster, "item") {
					p.mu.Lock()
					if it.Attrib("subscription") == "both" {
						p.both[it.Attrib("jid")] = true
					} else {
						delete(p.both, it.Attrib("jid"))
					}
					p.mu.Unlock()
				}
			}
			return p.reply("<iq type='result' id='" + xmlEscape(id) + "'" + toAttr(from) + "/>")
		case "result", "error":
			switch {
			case id == "b-roster":
				p.results <- el
			case strings.HasPrefix(id, "w") && typ == "error":
				return fmt.Errorf("fanout: warm-up publish refused: %s", el)
			case strings.HasPrefix(id, "p"):
				if typ == "error" {
					p.failed.Add(1)
				}
				select {
				case p.ack <- struct{}{}:
				default:
				}
				if p.acked.Add(1) == int64(b.cfg.Items)+1 {
					close(p.allAcked)
				}
			}
		}
	case "presence":
		switch el.Attrib("type") {
		case "subscribe":
			return p.reply("<presence type='subscribed' to='" + xmlEscape(bareOf(from)) + "'/>")
		case "":
			if from == p.c.jid {
				p.selfOnce.Do(func() { close(p.selfSeen) })
			}
		}
	case "message":
		if p.notify && strings.Contains(el.String(), "#mbw#") {
			p.warmOnce.Do(func() { close(p.warm) })
		}
	}
	return nil
}

func toAttr(from string) string {
	if from == "" {
		return ""
	}
	return " to='" + xmlEscape(from) + "'"
}

func bareOf(j string) string {
	bare, _, _ := cutResource(j)
	return bare
}

// scan is a contact's measured phase: the raw stream's markers until the
// publisher's fin.
func (p *pepClient) scan(b *PEPBench) error {
	return readMarkers(p.c.r, p.bare, func(data []byte, now time.Time) int { return p.process(b, data, now) },
		func() bool { return p.fin })
}

// process is occupant.process for one sender, the publisher.
func (p *pepClient) process(b *PEPBench, data []byte, now time.Time) int {
	return scanMarkers(data, &p.errs, func(f []byte) { p.record(b, f, now) })
}

func (p *pepClient) record(b *PEPBench, f []byte, now time.Time) {
	sender, f, ok1 := cutInt(f)
	seq, f, ok2 := cutInt(f)
	nanos, _, ok3 := cutInt(f)
	if !ok1 || !ok2 || !ok3 || sender != 0 || seq > b.cfg.Items {
		p.bogus++
		return
	}
	if seq == b.cfg.Items {
		p.finArrived(&p.sequence)
		return
	}
	p.arrive(&p.sequence, seq, nanos, now, b.epoch)
}

// Run publishes cfg.Items items (and a fin) and waits until every contact
// has the fin and the publisher every publish result, or Timeout. The
// Result's Occupants are the contacts and Messages the items; Rooms is 0.
// It may be called once.
func (b *PEPBench) Run(ctx context.Context) (*Result, error) {
	if b.ran {
		return nil, errors.New("fanout: Run called twice")
	}
	b.ran = true
	cfg := b.cfg
	res := &Result{Occupants: cfg.Contacts, Messages: cfg.Items, Setup: b.setup,
		Expected: int64(cfg.Contacts) * int64(cfg.Items)}
	for _, c := range b.contacts {
		close(c.startScn)
	}
	// A contact's reader may be waiting in the XML parser: the stanza it
	// parses next is accounted like a scanned one (read), then it scans.
	var interval time.Duration
	if cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) / cfg.Rate)
	}
	start := time.Now()
	_ = b.pub.c.nc.SetWriteDeadline(start.Add(cfg.Timeout))
	var sendErr error
	var buf []byte
	for seq := 0; seq <= cfg.Items; seq++ {
		if seq >= cfg.Window {
			select {
			case <-b.pub.ack:
			case <-b.pub.done:
				sendErr = fmt.Errorf("fanout: publisher: %w", b.pub.readErr)
			case <-deadlineAt(start, cfg.Timeout):
				sendErr = fmt.Errorf("fanout: publisher: no publish result within %v", cfg.Timeout)
			case <-ctx.Done():
				sendErr = ctx.Err()
			}
			if sendErr != nil {
				break
			}
		}
		if interval > 0 && seq < cfg.Items {
			if d := time.Until(start.Add(time.Duration(seq) * interval)); d > 0 {
				time.Sleep(d)
			}
		}
		buf = buf[:0]
		buf = append(buf, "<iq type='set' id='p"...)
		buf = strconv.AppendInt(buf, int64(seq), 10)
		buf = append(buf, "'><pubsub xmlns='"+nsPubSub+"'><publish node='"...)
		buf = append(buf, xmlEscape(cfg.Node)...)
		buf = append(buf, "'><item id='current'><x xmlns='"+nsBenchItem+"'>#mb:0:"...)
		buf = strconv.AppendInt(buf, int64(seq), 10)
		buf = append(buf, ':')
		buf = strconv.AppendInt(buf, int64(time.Since(b.epoch)), 10)
		buf = append(buf, "#</x></item></publish></pubsub></iq>"...)
		if _, err := b.pub.c.nc.Write(buf); err != nil {
			sendErr = fmt.Errorf("fanout: publisher: send: %w", err)
			break
		}
		if seq < cfg.Items {
			res.Sent++
		}
	}
	waits := make([]<-chan struct{}, 0, len(b.contacts)+1)
	for _, c := range b.contacts {
		waits = append(waits, c.done)
	}
	if sendErr == nil {
		waits = append(waits, b.pub.allAcked)
	}
	res.TimedOut = !waitAll(ctx, cfg.Timeout, waits)
	for _, c := range b.contacts {
		select {
		case <-c.done:
		default:
			c.c.nc.Close()
			<-c.done
		}
	}
	firstErr := sendErr
	tallies := make([]*tally, len(b.contacts))
	for i, c := range b.contacts {
		tallies[i] = &c.tally
		if firstErr == nil && !c.finished && c.readErr != nil && !res.TimedOut {
			firstErr = fmt.Errorf("fanout: contact %d: %w", i, c.readErr)
		}
	}
	res.Errors += b.pub.failed.Load()
	res.add(start, tallies...)
	return res, firstErr
}

// deadlineAt is a channel closed at start+d.
func deadlineAt(start time.Time, d time.Duration) <-chan time.Time {
	return time.After(time.Until(start.Add(d)))
}

// Close ends every client's stream and connection.
func (b *PEPBench) Close() {
	all := append([]*pepClient{b.pub}, b.contacts...)
	var wg sync.WaitGroup
	for _, p := range all {
		if p.c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.c.close()
		}()
	}
	wg.Wait()
	for _, p := range all {
		if p.c != nil {
			<-p.done
		}
	}
}
