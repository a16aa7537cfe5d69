package rocksdb

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/linxGnu/grocksdb"
)

// Defaults, as in Kafka Streams' RocksDBStore (org.apache.kafka.streams.state.internals).
const (
	// DefaultBlockCacheSize is the size of each store's LRU block cache: 50 MiB
	// (Kafka Streams' BLOCK_CACHE_SIZE).
	DefaultBlockCacheSize = 50 << 20
	// DefaultBlockSize is the size of a data block: 4 KiB (Kafka Streams' BLOCK_SIZE).
	DefaultBlockSize = 4 << 10
	// DefaultBloomFilterBits is the bloom filter's bits per key: 10 (Kafka Streams'
	// new BloomFilter(), about 1% false positives).
	DefaultBloomFilterBits = 10
	// DefaultWriteBufferSize is the size of one memtable: 16 MiB (Kafka Streams'
	// WRITE_BUFFER_SIZE).
	DefaultWriteBufferSize = 16 << 20
	// DefaultMaxWriteBufferNumber is the number of memtables kept in memory: 3 (Kafka
	// Streams' MAX_WRITE_BUFFERS).
	DefaultMaxWriteBufferNumber = 3
	// DefaultTargetFileSizeBase is the target size of an SST file: 64 MiB (RocksDB's and
	// Faust's default).
	DefaultTargetFileSizeBase = 64 << 20
	// DefaultMaxOpenFiles is the number of files RocksDB keeps open: -1, no limit (RocksDB's
	// default).
	DefaultMaxOpenFiles = -1
)

// The offsets column family is small: it holds one record per changelog partition.
const offsetsWriteBufferSize = 1 << 20

// An Option configures a store opened with [Open] or [OpenReadOnly].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	maxOpenFiles         int
	writeBufferSize      int64
	maxWriteBufferNumber int
	targetFileSizeBase   int64
	blockCacheSize       int64
	blockSize            int
	bloomBits            int
	setter               func(storeName string, o *grocksdb.Options, t *grocksdb.BlockBasedTableOptions)
	openRetries          int
	openBackoff          time.Duration
	budget               *MemoryBudget
}

func defaultConfig() config {
	return config{
		maxOpenFiles:         DefaultMaxOpenFiles,
		writeBufferSize:      DefaultWriteBufferSize,
		maxWriteBufferNumber: DefaultMaxWriteBufferNumber,
		targetFileSizeBase:   DefaultTargetFileSizeBase,
		blockCacheSize:       DefaultBlockCacheSize,
		blockSize:            DefaultBlockSize,
		bloomBits:            DefaultBloomFilterBits,
	}
}

func (c *config) validate() error {
	var errs []error
	if c.maxOpenFiles == 0 || c.maxOpenFiles < -1 {
		errs = append(errs, fmt.Errorf("MaxOpenFiles(%d): must be -1 (no limit) or positive", c.maxOpenFiles))
	}
	if c.writeBufferSize <= 0 {
		errs = append(errs, fmt.Errorf("WriteBufferSize(%d): must be positive", c.writeBufferSize))
	}
	if c.maxWriteBufferNumber < 1 {
		errs = append(errs, fmt.Errorf("MaxWriteBufferNumber(%d): must be at least 1", c.maxWriteBufferNumber))
	}
	if c.targetFileSizeBase <= 0 {
		errs = append(errs, fmt.Errorf("TargetFileSizeBase(%d): must be positive", c.targetFileSizeBase))
	}
	if c.blockCacheSize <= 0 {
		errs = append(errs, fmt.Errorf("BlockCacheSize(%d): must be positive", c.blockCacheSize))
	}
	if c.blockSize <= 0 {
		errs = append(errs, fmt.Errorf("BlockSize(%d): must be positive", c.blockSize))
	}
	if c.bloomBits < 0 {
		errs = append(errs, fmt.Errorf("BloomFilterBits(%d): must be 0 (no filter) or positive", c.bloomBits))
	}
	if c.openRetries < 0 || c.openBackoff < 0 {
		errs = append(errs, fmt.Errorf("OpenRetries(%d, %v): must not be negative", c.openRetries, c.openBackoff))
	}
	return errors.Join(errs...)
}

// MaxOpenFiles sets how many files RocksDB keeps open (RocksDB's max_open_files, Faust's
// RocksDBOptions.max_open_files). Default -1: no limit, every file stays open.
func MaxOpenFiles(n int) Option {
	return optionFunc(func(c *config) { c.maxOpenFiles = n })
}

// WriteBufferSize sets the size in bytes of one memtable (RocksDB's write_buffer_size,
// Faust's RocksDBOptions.write_buffer_size). Default 16 MiB, Kafka Streams' value.
// A store holds at most WriteBufferSize × MaxWriteBufferNumber bytes of memtables.
func WriteBufferSize(bytes int64) Option {
	return optionFunc(func(c *config) { c.writeBufferSize = bytes })
}

// MaxWriteBufferNumber sets how many memtables a store keeps in memory, the active one and
// those waiting to be flushed (RocksDB's max_write_buffer_number, Faust's
// RocksDBOptions.max_write_buffer_number). Default 3, Kafka Streams' value.
func MaxWriteBufferNumber(n int) Option {
	return optionFunc(func(c *config) { c.maxWriteBufferNumber = n })
}

// TargetFileSizeBase sets the target size in bytes of the SST files compaction writes
// (RocksDB's target_file_size_base, Faust's RocksDBOptions.target_file_size_base).
// Default 64 MiB.
func TargetFileSizeBase(bytes int64) Option {
	return optionFunc(func(c *config) { c.targetFileSizeBase = bytes })
}

// BlockCacheSize sets the capacity in bytes of the store's own LRU block cache (RocksDB's
// BlockBasedTableOptions.block_cache, Faust's RocksDBOptions.block_cache_size). Default
// 50 MiB, Kafka Streams' value. Ignored when [SharedMemory] gives a shared cache.
func BlockCacheSize(bytes int64) Option {
	return optionFunc(func(c *config) { c.blockCacheSize = bytes })
}

// BlockSize sets the size in bytes of an SST data block (RocksDB's
// BlockBasedTableOptions.block_size). Default 4 KiB, Kafka Streams' value.
func BlockSize(bytes int) Option {
	return optionFunc(func(c *config) { c.blockSize = bytes })
}

// BloomFilterBits sets the bits per key of the SST files' full bloom filter (RocksDB's
// BlockBasedTableOptions.filter_policy, Faust's RocksDBOptions.bloom_filter_size).
// Default 10, as Kafka Streams' new BloomFilter(); 0 disables the filter.
func BloomFilterBits(bits int) Option {
	return optionFunc(func(c *config) { c.bloomBits = bits })
}

// ConfigSetter registers fn to adjust RocksDB's options after Tributary has set its own, as
// Kafka Streams' rocksdb.config.setter (RocksDBConfigSetter.setConfig) does. It is called
// once per Open with the store's name, the database options and the block-based table
// options; Tributary installs t as the table factory after fn returns (so fn changes t in
// place and must not call o.SetBlockBasedTableFactory). fn must not keep o or t: they are
// destroyed when the store closes. Default: none.
//
// fn applies to the store's data; the small column family that holds the persisted
// offsets gets the same table options but keeps Tributary's other settings.
func ConfigSetter(fn func(storeName string, o *grocksdb.Options, t *grocksdb.BlockBasedTableOptions)) Option {
	return optionFunc(func(c *config) { c.setter = fn })
}

// OpenRetries makes Open retry, up to max more times with backoff between attempts, while
// the store's directory is locked by another process (or another Engine of this one), as
// Quix Streams' open_max_retries and open_retry_backoff do: during a rebalance the previous
// owner of a task may still be closing its store. Default 0: fail at once with [ErrLocked].
func OpenRetries(max int, backoff time.Duration) Option {
	return optionFunc(func(c *config) { c.openRetries, c.openBackoff = max, backoff })
}

// SharedMemory makes the store use b's block cache instead of a cache of its own, so that
// every store opened with b shares one LRU cache of a fixed capacity: the way to bound the
// memory of many stores (KAFKA-8215, Kafka Streams' BoundedMemoryRocksDBConfig). Index and
// filter blocks are then kept in the cache too (cache_index_and_filter_blocks, with high
// priority), so the cache bounds them as well. Default: none, each store has its own
// [BlockCacheSize] cache.
//
// Memtables are not covered: RocksDB 7.8's C API, and so grocksdb, has no write buffer
// manager, so each store's memtables stay bounded by its own [WriteBufferSize] ×
// [MaxWriteBufferNumber] (16 MiB × 3 by default, plus a small memtable for the offsets).
// Budget memory as cache capacity + stores × WriteBufferSize × MaxWriteBufferNumber.
func SharedMemory(b *MemoryBudget) Option {
	return optionFunc(func(c *config) { c.budget = b })
}

// MemoryBudget is one LRU block cache shared by every store opened with [SharedMemory].
// It is safe for concurrent use.
type MemoryBudget struct {
	mu       sync.Mutex
	cache    *grocksdb.Cache
	capacity int64
}

// NewMemoryBudget returns a shared LRU block cache of blockCacheBytes bytes (at least 1),
// for the stores opened with [SharedMemory]. Close it once no more stores will be opened
// with it: the stores already open hold their own reference to the cache and keep it alive
// until they close.
func NewMemoryBudget(blockCacheBytes int64) *MemoryBudget {
	blockCacheBytes = max(blockCacheBytes, 1)
	return &MemoryBudget{cache: grocksdb.NewLRUCache(uint64(blockCacheBytes)), capacity: blockCacheBytes}
}

// Capacity returns the cache's capacity in bytes.
func (b *MemoryBudget) Capacity() int64 { return b.capacity }

// Usage returns the bytes the cache holds now, or 0 after Close.
func (b *MemoryBudget) Usage() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cache == nil {
		return 0
	}
	return int64(b.cache.GetUsage())
}

// Close releases the budget's reference to the cache. Stores already opened with it keep
// using the cache until they close; opening a store with a closed budget fails. Close is
// idempotent.
func (b *MemoryBudget) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cache != nil {
		b.cache.Destroy()
		b.cache = nil
	}
}

// nativeOptions are the native objects one open store owns.
type nativeOptions struct {
	db      *grocksdb.Options // database options, also the data column family's
	offsets *grocksdb.Options // the offsets column family's
	table   *grocksdb.BlockBasedTableOptions
	cache   *grocksdb.Cache // the store's own cache; nil when shared
}

func (n *nativeOptions) destroy() {
	if n.db != nil {
		n.db.Destroy()
	}
	if n.offsets != nil {
		n.offsets.Destroy()
	}
	if n.table != nil {
		n.table.Destroy()
	}
	if n.cache != nil {
		n.cache.Destroy()
	}
	*n = nativeOptions{}
}

// errBudgetClosed is returned by Open when SharedMemory's budget was closed.
var errBudgetClosed = errors.New("rocksdb: SharedMemory: the MemoryBudget is closed")

// build creates the native options for store name.
func (c *config) build(name string) (*nativeOptions, error) {
	n := &nativeOptions{}
	n.table = grocksdb.NewDefaultBlockBasedTableOptions()
	if c.budget != nil {
		c.budget.mu.Lock()
		cache := c.budget.cache
		if cache != nil {
			// The table options hold their own reference to the cache.
			n.table.SetBlockCache(cache)
		}
		c.budget.mu.Unlock()
		if cache == nil {
			n.destroy()
			return nil, errBudgetClosed
		}
		n.table.SetCacheIndexAndFilterBlocks(true)
		n.table.SetCacheIndexAndFilterBlocksWithHighPriority(true)
		n.table.SetPinL0FilterAndIndexBlocksInCache(true)
	} else {
		n.cache = grocksdb.NewLRUCache(uint64(c.blockCacheSize))
		n.table.SetBlockCache(n.cache)
	}
	n.table.SetBlockSize(c.blockSize)
	if c.bloomBits > 0 {
		n.table.SetFilterPolicy(grocksdb.NewBloomFilterFull(float64(c.bloomBits)))
	}

	o := grocksdb.NewDefaultOptions()
	n.db = o
	o.SetCreateIfMissing(true)
	o.SetCreateIfMissingColumnFamilies(true)
	o.SetErrorIfExists(false)
	o.SetInfoLogLevel(grocksdb.ErrorInfoLogLevel)
	o.IncreaseParallelism(max(runtime.NumCPU(), 2))
	o.SetOptimizeFiltersForHits(true)
	o.SetWriteBufferSize(uint64(c.writeBufferSize))
	o.SetMaxWriteBufferNumber(c.maxWriteBufferNumber)
	o.SetCompression(grocksdb.NoCompression)
	o.SetCompactionStyle(grocksdb.UniversalCompactionStyle)
	o.SetMaxOpenFiles(c.maxOpenFiles)
	o.SetTargetFileSizeBase(uint64(c.targetFileSizeBase))
	// The WAL is off, so a flush of one column family must not get ahead of the other:
	// atomic flush keeps data and offsets consistent on disk.
	o.SetAtomicFlush(true)
	if c.setter != nil {
		c.setter(name, o, n.table)
	}
	o.SetBlockBasedTableFactory(n.table)

	off := grocksdb.NewDefaultOptions()
	n.offsets = off
	off.SetCompression(grocksdb.NoCompression)
	off.SetWriteBufferSize(offsetsWriteBufferSize)
	off.SetMaxWriteBufferNumber(2)
	off.SetBlockBasedTableFactory(n.table)
	return n, nil
}
