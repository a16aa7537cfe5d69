package rocksdb

/*
#include <stddef.h>
#include <stdlib.h>
#include <rocksdb/c.h>

// One step of an iterator and the item it lands on, in a single cgo call: grocksdb's
// Iterator spends four calls per item (Next, Valid, Key, Value) and allocates twice in each
// of Key and Value.
typedef struct {
	const char* key;
	size_t key_len;
	const char* value;
	size_t value_len;
	int valid;
} tributary_item;

static tributary_item tributary_iter_step(rocksdb_iterator_t* it, int op) {
	tributary_item item = {0};
	switch (op) {
	case 0: rocksdb_iter_seek_to_first(it); break;
	case 1: rocksdb_iter_seek_to_last(it); break;
	case 2: rocksdb_iter_next(it); break;
	default: rocksdb_iter_prev(it); break;
	}
	if (rocksdb_iter_valid(it)) {
		item.valid = 1;
		item.key = rocksdb_iter_key(it, &item.key_len);
		item.value = rocksdb_iter_value(it, &item.value_len);
	}
	return item;
}
*/
import "C"

import (
	"unsafe"

	"github.com/linxGnu/grocksdb"
)

// Iterator steps for iterStep.
const (
	stepFirst = 0
	stepLast  = 1
	stepNext  = 2
	stepPrev  = 3
)

// grocksdb.Iterator is a struct whose only field is the native iterator pointer. This
// package reads that pointer to step the iterator with one cgo call per item; the
// declarations below fail to compile if the struct's size changes (grocksdb is pinned at
// v1.7.15 in go.mod; TestNativeIteratorMatchesGrocksdb checks the behaviour).
var (
	_ [unsafe.Sizeof(grocksdb.Iterator{}) - unsafe.Sizeof(uintptr(0))]struct{}
	_ [unsafe.Sizeof(uintptr(0)) - unsafe.Sizeof(grocksdb.Iterator{})]struct{}
)

func nativeIter(it *grocksdb.Iterator) *C.rocksdb_iterator_t {
	return *(**C.rocksdb_iterator_t)(unsafe.Pointer(it))
}

// iterStep moves it (seek to first or last, next or prev) and returns the item it is on,
// as views of RocksDB's memory valid until the iterator moves or is destroyed.
func iterStep(it *grocksdb.Iterator, op int) (key, value []byte, valid bool) {
	item := C.tributary_iter_step(nativeIter(it), C.int(op))
	if item.valid == 0 {
		return nil, nil, false
	}
	key = unsafe.Slice((*byte)(unsafe.Pointer(item.key)), int(item.key_len))
	value = unsafe.Slice((*byte)(unsafe.Pointer(item.value)), int(item.value_len))
	return key, value, true
}

// cAlloc returns an empty slice with capacity n in C memory, for bytes that RocksDB keeps a
// pointer to (iterator bounds). Free it with cFree.
func cAlloc(n int) []byte {
	p := C.malloc(C.size_t(n))
	return unsafe.Slice((*byte)(p), n)[:0]
}

// cFree frees a slice from cAlloc.
func cFree(b []byte) {
	C.free(unsafe.Pointer(unsafe.SliceData(b[:cap(b)])))
}
