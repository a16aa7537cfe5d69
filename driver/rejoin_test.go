package driver

import (
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestRejoinable: a lost group session whose cause is transient (a network timeout while the
// coordinator holds a join, as seen when a member of the group was killed with SIGKILL) or a
// membership error is rejoined, not fatal; an authorization or other permanent broker error
// stays fatal, and so does any error that is not a group-session error.
func TestRejoinable(t *testing.T) {
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("i/o timeout")}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&kgo.ErrGroupSession{Err: timeout}, true},
		{fmt.Errorf("poll: %w", &kgo.ErrGroupSession{Err: timeout}), true},
		{&kgo.ErrGroupSession{Err: kerr.CoordinatorNotAvailable}, true},
		{&kgo.ErrGroupSession{Err: kerr.UnknownMemberID}, true},
		{&kgo.ErrGroupSession{Err: kerr.IllegalGeneration}, true},
		{&kgo.ErrGroupSession{Err: kerr.GroupAuthorizationFailed}, false},
		{&kgo.ErrGroupSession{Err: kerr.InvalidGroupID}, false},
		{&kgo.ErrGroupSession{Err: kerr.FencedInstanceID}, false},
		{&kgo.ErrGroupSession{}, false},
		{timeout, false},
		{kgo.ErrClientClosed, false},
	} {
		if got := rejoinable(c.err); got != c.want {
			t.Errorf("rejoinable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
