package testutil

import "github.com/tributary-go/tributary/processor"

// outQueue holds the records written to one topic and not read yet. A driver captures every
// record the topology writes, internal topics' included, for the whole test (Kafka's
// outputRecordsByTopic): the records are kept without pointers, their keys and values copied
// into an arena of byte chunks, so that a long run costs the garbage collector nothing to
// scan and a captured record owns its bytes.
type outQueue struct {
	// recs holds the records in chunks of recChunk, so that a queue growing for a whole
	// test never copies them; head and n are the indexes of the next record and of the end.
	recs    [][]capRec
	head, n int
	// hdrs are the headers of the records that had some (capRec.hdr is an index + 1).
	hdrs  []processor.Headers
	arena arena
}

// capRec is one captured record.
type capRec struct {
	key, value span // n -1: nil
	timestamp  int64
	hdr        int32 // index + 1 into outQueue.hdrs; 0 means nil headers
	tombstone  bool
}

// add captures a record, copying its key and value, and returns the copies (the record's
// own, as next would return them).
func (q *outQueue) add(key, value []byte, tombstone bool, timestamp int64, headers processor.Headers) (keyCopy, valueCopy []byte) {
	c := capRec{key: q.arena.put(key), value: span{n: -1}, timestamp: timestamp, tombstone: tombstone}
	if !tombstone {
		c.value = q.arena.put(value)
	}
	if headers != nil {
		q.hdrs = append(q.hdrs, headers)
		c.hdr = int32(len(q.hdrs))
	}
	if q.n&(recChunk-1) == 0 && q.n>>recShift == len(q.recs) {
		q.recs = append(q.recs, make([]capRec, recChunk))
	}
	q.recs[q.n>>recShift][q.n&(recChunk-1)] = c
	q.n++
	return q.arena.get(c.key), q.arena.get(c.value)
}

const (
	recShift = 9
	recChunk = 1 << recShift
)

// size returns the number of records not read yet.
func (q *outQueue) size() int { return q.n - q.head }

// next removes the head record and returns its parts: key nil for a null key, value nil for
// a tombstone. The byte slices are the record's own: the arena never reuses them.
func (q *outQueue) next() (key, value []byte, tombstone bool, timestamp int64, headers processor.Headers) {
	c := &q.recs[q.head>>recShift][q.head&(recChunk-1)]
	q.head++
	key, value = q.arena.get(c.key), q.arena.get(c.value)
	if c.hdr > 0 {
		headers = q.hdrs[c.hdr-1]
	}
	tombstone, timestamp = c.tombstone, c.timestamp
	if q.head == q.n {
		q.clear() // everything read: start over, letting what was read go
	}
	return key, value, tombstone, timestamp, headers
}

// clear drops the records not read yet.
func (q *outQueue) clear() {
	q.head, q.n = 0, 0 // the record chunks are reused: they hold no pointers
	clear(q.hdrs)
	q.hdrs = q.hdrs[:0]
	q.arena.reset()
}

// span locates bytes in an arena: n bytes at off in chunk; n -1 means nil, n -2 the whole
// chunk (bytes longer than arenaLarge get a chunk of their own).
type span struct {
	chunk, off, n int32
}

// arena holds byte strings in chunks that it only appends to: bytes it returned are never
// overwritten, even after reset (which starts new chunks), so they stay the record's own.
type arena struct {
	chunks [][]byte
	cur    []byte // the chunk small byte strings go to (len is what is used)
	curIdx int32  // its index in chunks
}

const (
	arenaChunk = 32 << 10
	arenaLarge = 4 << 10 // bytes this long get a chunk of their own
)

// put copies b into the arena.
func (a *arena) put(b []byte) span {
	if b == nil {
		return span{n: -1}
	}
	n := len(b)
	if n == 0 {
		return span{}
	}
	if n > arenaLarge {
		a.chunks = append(a.chunks, append([]byte(nil), b...)[:n:n])
		return span{chunk: int32(len(a.chunks) - 1), n: -2}
	}
	if cap(a.cur)-len(a.cur) < n {
		a.cur = make([]byte, 0, arenaChunk)
		a.chunks = append(a.chunks, a.cur) // len 0: get slices within its capacity
		a.curIdx = int32(len(a.chunks) - 1)
	}
	s := span{chunk: a.curIdx, off: int32(len(a.cur)), n: int32(n)}
	a.cur = append(a.cur, b...)
	return s
}

// get returns the bytes of s (nil for a nil span, empty for an empty one), capped so that an
// append to them cannot reach their neighbours.
func (a *arena) get(s span) []byte {
	switch s.n {
	case -1:
		return nil
	case -2:
		return a.chunks[s.chunk]
	case 0:
		return []byte{}
	}
	c := a.chunks[s.chunk]
	return c[s.off : s.off+s.n : s.off+s.n]
}

// reset forgets every chunk (without reusing them: their bytes may still be referenced).
func (a *arena) reset() {
	clear(a.chunks)
	a.chunks, a.cur = a.chunks[:0], nil
}

// bump hands out copies of byte strings carved from shared chunks, never reusing a byte
// unless told to (reuse): until then a copy is its holder's, as if allocated alone, at a
// fraction of the cost.
type bump struct {
	cur []byte // len is what is handed out
}

// copy returns a copy of b (nil for nil, empty for empty), capped so that an append to it
// cannot reach its neighbours.
func (a *bump) copy(b []byte) []byte {
	switch n := len(b); {
	case b == nil:
		return nil
	case n == 0:
		return []byte{}
	case n > arenaLarge:
		return append([]byte(nil), b...)[:n:n]
	case cap(a.cur)-len(a.cur) < n:
		a.cur = make([]byte, 0, arenaChunk)
	}
	start := len(a.cur)
	a.cur = append(a.cur, b...)
	return a.cur[start:len(a.cur):len(a.cur)]
}

// reuse lets the current chunk be overwritten: for when no copy handed out is referenced any
// more.
func (a *bump) reuse() { a.cur = a.cur[:0] }
