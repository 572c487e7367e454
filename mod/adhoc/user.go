package adhoc

import (
	"fmt"
	"strings"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

// Nodes of the commands every user may run.
const (
	NodePing   = "ping"
	NodeUptime = "uptime"
)

func userCommands() []*command {
	return []*command{
		{node: NodePing, name: "Ping", run: func(_ *call, _ map[string][]string, out *xmlnode.Element) error {
			note(out, "info", "Pong")
			return nil
		}},
		{node: NodeUptime, name: "Get uptime", run: func(c *call, _ map[string][]string, out *xmlnode.Element) error {
			up := c.m.now().Sub(c.m.started)
			note(out, "info", fmt.Sprintf("This server has been running for %s (since %s)",
				humanDuration(up), c.m.started.UTC().Format(time.RFC3339)))
			return nil
		}},
	}
}

// humanDuration spells d out as Prosody's uptime command does: days,
// hours, minutes and seconds, leaving out the leading zero units.
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	secs := int64(d / time.Second)
	units := []struct {
		n    int64
		name string
	}{{secs / 86400, "day"}, {secs / 3600 % 24, "hour"}, {secs / 60 % 60, "minute"}, {secs % 60, "second"}}
	var parts []string
	for _, u := range units {
		if u.n == 0 {
			continue
		}
		s := fmt.Sprintf("%d %s", u.n, u.name)
		if u.n != 1 {
			s += "s"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "0 seconds"
	}
	return strings.Join(parts, ", ")
}
