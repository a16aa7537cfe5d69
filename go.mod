module github.com/tributary-go/tributary

go 1.26

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/hashicorp/golang-lru/v2 v2.0.7 // indirect
	github.com/linxGnu/grocksdb v1.7.15 // indirect
	github.com/tidwall/btree v1.8.2 // indirect
)
