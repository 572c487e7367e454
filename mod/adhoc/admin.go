package adhoc

import (
	"slices"
	"strconv"
	"strings"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// The XEP-0133 command nodes served (section 4), for admins only.
const (
	NodeOnlineUsersNum      = NSAdmin + "#get-online-users-num"
	NodeRegisteredUsersNum  = NSAdmin + "#get-registered-users-num"
	NodeOnlineUsersList     = NSAdmin + "#get-online-users-list"
	NodeRegisteredUsersList = NSAdmin + "#get-registered-users-list"
	NodeAnnounce            = NSAdmin + "#announce"
	NodeAddUser             = NSAdmin + "#add-user"
	NodeChangeUserPassword  = NSAdmin + "#change-user-password"
	NodeEndUserSession      = NSAdmin + "#end-user-session"
	NodeDeleteUser          = NSAdmin + "#delete-user"
)

// Limits on what one admin command takes and returns.
const (
	// MaxJIDs bounds the accounts one end-user-session or delete-user
	// names.
	MaxJIDs = 100
	// MaxAnnouncementBytes bounds an announcement's subject and body.
	MaxAnnouncementBytes = 16 << 10
	// DefaultListItems is how many online users a list shows when the
	// admin does not choose.
	DefaultListItems = 100
)

func adminCommands() []*command {
	return []*command{
		{node: NodeOnlineUsersNum, name: "Get Number of Online Users", admin: true, run: onlineUsersNum},
		{node: NodeRegisteredUsersNum, name: "Get Number of Registered Users", admin: true, run: registeredUsersNum},
		{node: NodeOnlineUsersList, name: "Get List of Online Users", admin: true,
			form: listForm("Requesting List of Online Users", "online"), run: userList("onlineuserjids", "The list of all online users", online)},
		{node: NodeRegisteredUsersList, name: "Get List of Registered Users", admin: true,
			form: listForm("Requesting List of Registered Users", "registered"), run: userList("registereduserjids", "The list of all users", registered)},
		{node: NodeAnnounce, name: "Send Announcement to Online Users", admin: true, form: announceForm, run: announce},
		{node: NodeAddUser, name: "Add User", admin: true, form: addUserForm, run: addUser},
		{node: NodeChangeUserPassword, name: "Change User Password", admin: true, form: passwordForm, run: changePassword},
		{node: NodeEndUserSession, name: "End User Session", admin: true, form: jidsForm("End User Session",
			"Fill out this form to end a user's session."), run: endUserSession},
		{node: NodeDeleteUser, name: "Delete User", admin: true, form: jidsForm("Deleting a User",
			"Fill out this form to delete a user."), run: deleteUser},
	}
}

// accounts returns the account manager, or an error for the requester.
func accounts(c *call) (module.AccountManager, error) {
	am := module.Accounts(c.Context)
	if am == nil {
		return nil, &cmdError{stanza.Cancel, stanza.FeatureNotImplemented, "No account store"}
	}
	return am, nil
}

// online returns the bare JIDs of the accounts with a bound session,
// sorted.
func online(am module.AccountManager) []string {
	var out []string
	am.EachAccount(func(a module.Account) bool {
		for range a.Sessions() {
			out = append(out, a.JID().String())
			break
		}
		return true
	})
	slices.Sort(out)
	return out
}

func onlineUsersNum(c *call, _ map[string][]string, out *xmlnode.Element) error {
	am, err := accounts(c)
	if err != nil {
		return err
	}
	x := form("result", "", "")
	field(x, "", "onlineusersnum", "Number of Online Users", false, strconv.Itoa(len(online(am))))
	out.Append(x)
	return nil
}

func registeredUsersNum(c *call, _ map[string][]string, out *xmlnode.Element) error {
	am, err := accounts(c)
	if err != nil {
		return err
	}
	n := 0
	am.EachAccount(func(module.Account) bool { n++; return true })
	x := form("result", "", "")
	field(x, "", "registeredusersnum", "Number of Registered Users", false, strconv.Itoa(n))
	out.Append(x)
	return nil
}

// listForm is the first stage of the list commands (XEP-0133 sections
// 4.18 and 4.20): how many to show.
func listForm(title, which string) func(*call) *xmlnode.Element {
	return func(*call) *xmlnode.Element {
		x := form("form", title, "Fill out this form to request the "+which+" users of this service.")
		f := field(x, "list-single", "max_items", "Maximum number of items to show", false, strconv.Itoa(DefaultListItems))
		for _, n := range []string{"25", "50", "75", "100", "150", "200", "none"} {
			f.AddChild(NSData, "option", "label", n).AddChild(NSData, "value").SetText(n)
		}
		return x
	}
}

// userList answers a list command with the bare JIDs list returns, at
// most max_items of them, in field v.
func userList(v, label string, list func(module.AccountManager) []string) func(*call, map[string][]string, *xmlnode.Element) error {
	return func(c *call, f map[string][]string, out *xmlnode.Element) error {
		am, err := accounts(c)
		if err != nil {
			return err
		}
		max := DefaultListItems
		if v := first(f["max_items"]); v != "" {
			if v == "none" {
				max = -1
			} else if n, err := strconv.Atoi(v); err == nil && n > 0 {
				max = n
			} else {
				return &cmdError{stanza.Modify, stanza.BadRequest, "max_items must be a positive number or none"}
			}
		}
		users := list(am)
		if max >= 0 && len(users) > max {
			users = users[:max]
		}
		x := form("result", "", "")
		field(x, "jid-multi", v, label, false, users...)
		out.Append(x)
		return nil
	}
}

// registered returns the bare JIDs of every account, sorted.
func registered(am module.AccountManager) []string {
	var out []string
	am.EachAccount(func(a module.Account) bool {
		out = append(out, a.JID().String())
		return true
	})
	slices.Sort(out)
	return out
}

func announceForm(*call) *xmlnode.Element {
	x := form("form", "Making an Announcement", "Fill out this form to make an announcement to all active users of this service.")
	field(x, "text-single", "subject", "Subject", false)
	field(x, "text-multi", "announcement", "Announcement", true)
	return x
}

// announce sends a headline from the server to every available session,
// as Prosody's mod_announce does.
func announce(c *call, f map[string][]string, out *xmlnode.Element) error {
	am, err := accounts(c)
	if err != nil {
		return err
	}
	body := joinLines(f["announcement"])
	subject := first(f["subject"])
	if body == "" {
		return &cmdError{stanza.Modify, stanza.BadRequest, "The announcement is required"}
	}
	if len(body)+len(subject) > MaxAnnouncementBytes {
		return &cmdError{stanza.Modify, stanza.NotAcceptable, "Announcement too long"}
	}
	msg := xmlnode.New(nsClient, "message", "type", "headline", "from", c.Domain())
	if subject != "" {
		msg.AddChild(nsClient, "subject").SetText(subject)
	}
	msg.AddChild(nsClient, "body").SetText(body)
	n := 0
	am.EachAccount(func(a module.Account) bool {
		for s := range a.Sessions() {
			if s.Available() {
				m := msg.Copy()
				m.SetAttr("to", s.JID().String())
				s.Send(m)
				n++
			}
		}
		return true
	})
	note(out, "info", "Announcement sent to "+strconv.Itoa(n)+" sessions")
	return nil
}

func jidsForm(title, instructions string) func(*call) *xmlnode.Element {
	return func(*call) *xmlnode.Element {
		x := form("form", title, instructions)
		field(x, "jid-multi", "accountjids", "The Jabber ID(s)", true)
		return x
	}
}

// localJIDs parses the accountjids field: JIDs of this server's accounts,
// at most MaxJIDs.
func localJIDs(c *call, f map[string][]string) ([]jid.JID, error) {
	vals := f["accountjids"]
	if len(vals) == 0 {
		return nil, &cmdError{stanza.Modify, stanza.BadRequest, "accountjids is required"}
	}
	if len(vals) > MaxJIDs {
		return nil, &cmdError{stanza.Modify, stanza.NotAcceptable, "Too many JIDs"}
	}
	var out []jid.JID
	for _, v := range vals {
		j, err := jid.Parse(v)
		if err != nil || j.Localpart() == "" || j.Domainpart() != c.Domain() {
			return nil, &cmdError{stanza.Modify, stanza.BadRequest, "Not an account of this server: " + v}
		}
		out = append(out, j)
	}
	return out, nil
}

// MaxPasswordBytes bounds a password an admin sets.
const MaxPasswordBytes = 1024

func addUserForm(*call) *xmlnode.Element {
	x := form("form", "Adding a User", "Fill out this form to add a user.")
	field(x, "jid-single", "accountjid", "The Jabber ID for the account to be added", true)
	field(x, "text-private", "password", "The password for this account", true)
	field(x, "text-private", "password-verify", "Retype password", true)
	return x
}

func passwordForm(*call) *xmlnode.Element {
	x := form("form", "Changing a User Password", "Fill out this form to change a user's password.")
	field(x, "jid-single", "accountjid", "The Jabber ID for this account", true)
	field(x, "text-private", "password", "The password for this account", true)
	return x
}

// accountAndPassword reads accountjid (a bare JID of this server) and
// password.
func accountAndPassword(c *call, f map[string][]string) (credentials, error) {
	j, err := jid.Parse(first(f["accountjid"]))
	if err != nil || j.Localpart() == "" || j.Domainpart() != c.Domain() || j.Resourcepart() != "" {
		return credentials{}, &cmdError{stanza.Modify, stanza.BadRequest, "accountjid must be the bare JID of an account of this server"}
	}
	pass := first(f["password"])
	if pass == "" || len(pass) > MaxPasswordBytes {
		return credentials{}, &cmdError{stanza.Modify, stanza.NotAcceptable, "A password of at most 1024 bytes is required"}
	}
	return credentials{j.Localpart(), pass}, nil
}

// credentials are an account's name and a new password, from a form.
type credentials struct{ name, pass string }

// accountsAnd returns the account store and what parse reads from the
// form f, the steps every account command starts with.
func accountsAnd[T any](c *call, f map[string][]string, parse func(*call, map[string][]string) (T, error)) (module.AccountManager, T, error) {
	var zero T
	am, err := accounts(c)
	if err != nil {
		return nil, zero, err
	}
	v, err := parse(c, f)
	if err != nil {
		return nil, zero, err
	}
	return am, v, nil
}

// addUser creates an account (XEP-0133 section 4.1).
func addUser(c *call, f map[string][]string, out *xmlnode.Element) error {
	am, cr, err := accountsAnd(c, f, accountAndPassword)
	if err != nil {
		return err
	}
	name, pass := cr.name, cr.pass
	if v := first(f["password-verify"]); v != pass {
		return &cmdError{stanza.Modify, stanza.NotAcceptable, "The passwords do not match"}
	}
	if _, err := am.CreateAccount(name, pass); err != nil {
		return &cmdError{stanza.Cancel, stanza.Conflict, "Account already exists"}
	}
	note(out, "info", "Account successfully created")
	return nil
}

// changePassword sets an account's password (XEP-0133 section 4.7).
func changePassword(c *call, f map[string][]string, out *xmlnode.Element) error {
	am, cr, err := accountsAnd(c, f, accountAndPassword)
	if err != nil {
		return err
	}
	name, pass := cr.name, cr.pass
	if !am.AccountExists(name) {
		return &cmdError{stanza.Cancel, stanza.ItemNotFound, "No such account"}
	}
	am.SetPassword(c.Context.Account(name), pass)
	note(out, "info", "Password successfully changed")
	return nil
}

// endUserSession ends the sessions of bare JIDs, or the one of full JIDs.
func endUserSession(c *call, f map[string][]string, out *xmlnode.Element) error {
	am, jids, err := accountsAnd(c, f, localJIDs)
	if err != nil {
		return err
	}
	n := 0
	for _, j := range jids {
		if !am.AccountExists(j.Localpart()) {
			continue
		}
		a := c.Context.Account(j.Localpart())
		var ended []module.Session
		for s := range a.Sessions() {
			if j.Resourcepart() == "" || s.JID().Resourcepart() == j.Resourcepart() {
				ended = append(ended, s)
			}
		}
		for _, s := range ended {
			c.after = append(c.after, func() { am.EndSession(s, "Session ended by an administrator") })
			n++
		}
	}
	note(out, "info", "Ended "+strconv.Itoa(n)+" sessions")
	return nil
}

// deleteUser removes accounts as XEP-0077 <remove/> does.
func deleteUser(c *call, f map[string][]string, out *xmlnode.Element) error {
	am, jids, err := accountsAnd(c, f, localJIDs)
	if err != nil {
		return err
	}
	var missing []string
	n := 0
	for _, j := range jids {
		if !am.AccountExists(j.Localpart()) {
			missing = append(missing, j.Bare().String())
			continue
		}
		a := c.Context.Account(j.Localpart())
		c.after = append(c.after, func() { am.RemoveAccount(a, "Account deleted by an administrator") })
		n++
	}
	note(out, "info", "Deleted "+strconv.Itoa(n)+" accounts")
	if len(missing) > 0 {
		note(out, "warn", "No such accounts: "+joinComma(missing))
	}
	return nil
}

const nsClient = "jabber:client"

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func joinLines(v []string) string { return join(v, "\n") }
func joinComma(v []string) string { return join(v, ", ") }

func join(v []string, sep string) string { return strings.Join(v, sep) }
