package quota_test

import (
	"testing"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/quota"
)

func TestWithDefaults(t *testing.T) {
	d := quota.Defaults()
	if d.OfflineMessages != quota.DefaultOfflineMessages || d.Resources != quota.DefaultResources || d.ArchiveBytes != quota.DefaultArchiveBytes {
		t.Fatalf("Defaults: %+v", d)
	}
	l := quota.Limits{RosterItems: 7, BlocklistItems: -1}.WithDefaults()
	if l.RosterItems != 7 || l.BlocklistItems != -1 || l.VCardBytes != quota.DefaultVCardBytes {
		t.Fatalf("WithDefaults kept or filled the wrong fields: %+v", l)
	}
}

func TestWithin(t *testing.T) {
	for _, tc := range []struct {
		limit, have, n int
		want           bool
	}{
		{10, 9, 1, true}, {10, 10, 1, false}, {10, 5, 6, false}, {-1, 1 << 30, 1, true}, {0, 0, 1, false},
	} {
		if got := quota.Within(tc.limit, tc.have, tc.n); got != tc.want {
			t.Errorf("Within(%d, %d, %d) = %v", tc.limit, tc.have, tc.n, got)
		}
	}
}

type sized struct{ n int }

func (s *sized) Size() int { return s.n }

type archive struct{ sized }

func (*archive) Evicts() bool { return true }

var (
	small = module.NewAccountState[sized]("quota_test.small")
	arch  = module.NewAccountState[archive]("quota_test.archive")
)

// TestBudget: Used sums the account's Sizers but Evictors, and Budget
// compares it and the growth with the limit.
func TestBudget(t *testing.T) {
	var acct module.Account
	s := moduletest.New(t, module.New("probe", func(r *module.Registrar) error {
		r.OnSessionBound(0, func(_ module.Context, ss module.Session) { acct = ss.Account() })
		return nil
	}))
	s.Login("a@localhost/r")
	small.Use(acct).n = 600
	arch.Use(acct).n = 1 << 20
	if got := quota.Used(acct); got != 600 {
		t.Fatalf("Used = %d, want 600 (the archive does not count)", got)
	}
	for _, tc := range []struct {
		limit, grow int
		want        bool
	}{
		{1000, 400, true}, {1000, 401, false}, {1000, 0, true}, {1000, -100, true}, {-1, 1 << 20, true},
	} {
		if got := quota.Budget(acct, tc.limit, tc.grow); got != tc.want {
			t.Errorf("Budget(limit %d, grow %d) = %v", tc.limit, tc.grow, got)
		}
	}
}
