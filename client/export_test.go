package client

import "time"

// SetCloseTimeout sets how long Close and Drop wait for the server, once
// Dial has returned. The tests of that wait dial with the default Timeout
// and shorten only the wait: a login on a loaded machine (under -race,
// beside parallel tests) can take longer than the wait they time out.
func SetCloseTimeout(c *Conn, d time.Duration) { c.timeout = d }
