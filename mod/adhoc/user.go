package adhoc

import (
	"fmt"
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
			note(out, "info", uptimeText(c.m.now().Sub(c.m.started), c.m.started))
			return nil
		}},
	}
}

// uptimeText is Prosody's uptime note: days, hours and minutes, and the
// start time in C's %c form (in UTC here).
func uptimeText(d time.Duration, since time.Time) string {
	if d < 0 {
		d = 0
	}
	mins := int64(d / time.Minute)
	return fmt.Sprintf("This server has been running for %s, %s and %s (since %s)",
		plural(mins/1440, "day"), plural(mins/60%24, "hour"), plural(mins%60, "minute"),
		since.UTC().Format("Mon Jan _2 15:04:05 2006"))
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
