module github.com/tributary-go/tributary

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/hashicorp/golang-lru/v2 v2.0.7
	github.com/linxGnu/grocksdb v1.7.15
	github.com/tidwall/btree v1.8.2
)
