package cursor

import "sync"

// State is the closed-and-error bookkeeping every cursor needs. Implementations embed it and
// call Usable at the top of Next and MarkClosed in Close; State supplies Err.
type State struct {
	err    error
	closed bool
}

// Usable reports whether Next may advance. After Close it stores [ErrClosed] (unless an error
// is already stored) and returns false; after an error it returns false.
func (s *State) Usable() bool {
	if s.closed {
		if s.err == nil {
			s.err = ErrClosed
		}
		return false
	}
	return s.err == nil
}

// Fail stores err unless an error is already stored. A nil err is ignored.
func (s *State) Fail(err error) {
	if s.err == nil && err != nil {
		s.err = err
	}
}

// Err returns the stored error.
func (s *State) Err() error { return s.err }

// IsClosed reports whether MarkClosed was called.
func (s *State) IsClosed() bool { return s.closed }

// MarkClosed records that the cursor is closed and reports whether this was the first call,
// so that Close releases resources once.
func (s *State) MarkClosed() (first bool) {
	if s.closed {
		return false
	}
	s.closed = true
	return true
}

// Invalidator is implemented by cursors that a [Tracker] can invalidate when their store
// closes. Invalidate must release the cursor's resources and store err; it is called with the
// store's write lock held, so it must not take that lock.
type Invalidator interface {
	Invalidate(err error)
}

// Tracker counts the open cursors of one store, so that closing the store can invalidate them
// (and release native iterators before the database they read is closed). The zero value is
// ready to use. It is safe for concurrent use.
type Tracker struct {
	mu   sync.Mutex
	open map[Invalidator]struct{}
}

// Add records an open cursor.
func (t *Tracker) Add(c Invalidator) {
	t.mu.Lock()
	if t.open == nil {
		t.open = make(map[Invalidator]struct{})
	}
	t.open[c] = struct{}{}
	t.mu.Unlock()
}

// Remove forgets a cursor that was closed.
func (t *Tracker) Remove(c Invalidator) {
	t.mu.Lock()
	delete(t.open, c)
	t.mu.Unlock()
}

// Open returns the number of open cursors.
func (t *Tracker) Open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.open)
}

// InvalidateAll invalidates every open cursor with err and forgets them.
func (t *Tracker) InvalidateAll(err error) {
	t.mu.Lock()
	open := t.open
	t.open = nil
	t.mu.Unlock()
	for c := range open {
		c.Invalidate(err)
	}
}
