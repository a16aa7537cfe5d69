package topology_test

import (
	"strconv"
	"testing"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// More of KTableKTableForeignKeyJoinIntegrationTest (see dsl_join_fk_test.go), as steps: a
// record piped to the left ("l") or right ("r") table ("" value: a tombstone), then the
// output map and, when materialized, the store.

type fkStep struct {
	side, key, value string
	out, store       map[string]string
}

func fkRunSteps(t *testing.T, left, materialized bool, steps []fkStep) {
	t.Helper()
	fkRunStepsC(t, left, materialized, false, steps)
}

func fkRunStepsC(t *testing.T, left, materialized, caching bool, steps []fkStep) {
	t.Helper()
	d, l, r, out := fkProgramC(t, left, materialized, caching)
	for i, s := range steps {
		in := l
		if s.side == "r" {
			in = r
		}
		pipe(t, in, s.key, s.value, int64(i))
		fkCheck(t, s.side+" "+s.key+"="+s.value+" output", fkReadMap(t, out), s.out)
		if materialized {
			fkCheck(t, s.side+" "+s.key+"="+s.value+" store", fkStore(t, d), s.store)
		}
	}
}

func either(left bool, l, inner map[string]string) map[string]string {
	if left {
		return l
	}
	return inner
}

type strMap = map[string]string

// KTableKTableForeignKeyJoinIntegrationTest.shouldEmitTombstoneWhenDeletingNonJoiningRecords.
func TestFKJoinEmitTombstoneWhenDeletingNonJoiningRecords(t *testing.T) {
	fkCases(t, func(t *testing.T, left, materialized bool) {
		first := either(left, strMap{"lhs1": "(lhsValue1|rhs1,null)"}, strMap{})
		fkRunSteps(t, left, materialized, []fkStep{
			{"l", "lhs1", "lhsValue1|rhs1", first, first},
			{"l", "lhs1", "", strMap{"lhs1": "null"}, strMap{}},
			{"l", "lhs1", "", strMap{}, strMap{}},
		})
	})
}

// KTableKTableForeignKeyJoinIntegrationTest.shouldNotEmitTombstonesWhenDeletingNonExistingRecords.
func TestFKJoinNoTombstonesWhenDeletingNonExistingRecords(t *testing.T) {
	fkCases(t, func(t *testing.T, left, materialized bool) {
		fkRunSteps(t, left, materialized, []fkStep{{"l", "lhs1", "", strMap{}, strMap{}}})
	})
}

// KTableKTableForeignKeyJoinIntegrationTest.joinShouldProduceNullsWhenValueHasNonMatchingForeignKey.
func TestFKJoinNullsWhenValueHasNonMatchingForeignKey(t *testing.T) {
	fkCases(t, func(t *testing.T, left, materialized bool) {
		half := func(fk string) (strMap, strMap) {
			v := "(lhsValue1|" + fk + ",null)"
			return either(left, strMap{"lhs1": v}, strMap{"lhs1": "null"}), either(left, strMap{"lhs1": v}, strMap{})
		}
		o2, s2 := half("rhs2")
		o3, s3 := half("rhs3")
		full := strMap{"lhs1": "(lhsValue1|rhs1,rhsValue1)"}
		first := either(left, strMap{"lhs1": "(lhsValue1|rhs1,null)"}, strMap{})
		fkRunSteps(t, left, materialized, []fkStep{
			{"l", "lhs1", "lhsValue1|rhs1", first, first},
			{"l", "lhs1", "lhsValue1|rhs2", o2, s2},
			{"l", "lhs1", "lhsValue1|rhs3", o3, s3},
			{"r", "rhs1", "rhsValue1", strMap{}, s3},
			{"l", "lhs1", "lhsValue1|rhs1", full, full},
			{"l", "lhs1", "lhsValue1|rhs2", o2, s2},
		})
	})
}

// KTableKTableForeignKeyJoinIntegrationTest.shouldUnsubscribeOldForeignKeyIfLeftSideIsUpdated.
func TestFKJoinUnsubscribeOldForeignKeyIfLeftSideIsUpdated(t *testing.T) {
	fkCases(t, func(t *testing.T, left, materialized bool) {
		one := strMap{"lhs1": "(lhsValue1|rhs1,rhsValue1)"}
		two := strMap{"lhs1": "(lhsValue1|rhs2,rhsValue2)"}
		fkRunSteps(t, left, materialized, []fkStep{
			{"r", "rhs1", "rhsValue1", strMap{}, strMap{}},
			{"r", "rhs2", "rhsValue2", strMap{}, strMap{}},
			{"l", "lhs1", "lhsValue1|rhs1", one, one},
			{"l", "lhs1", "lhsValue1|rhs2", two, two},
			{"r", "rhs1", "rhsValue1Delta", strMap{}, two},
		})
	})
}

// TestFKJoinDiscardsStaleResponse: a response for a left value that changed before it came
// back is dropped (Kafka's ResponseJoinProcessorSupplier hash check; its unit test
// ResponseJoinProcessorSupplierTest.shouldNotForwardWhenHashDoesNotMatch uses a mock
// context). Here one input record becomes two updates of the same left key (FlatMapValues
// then ToTable); the TopologyTestDriver processes the internal topics' records after the
// input record, in order, so the response to the first update is resolved when the table
// already holds the second value: only the second is joined (without the hash check the
// first would be joined as "(v2|rhs2,rhsValue1)"). The table's cache is off, else it would
// merge the two updates. The left join also answers the
// move away from rhs1 (Kafka's DELETE_KEY_AND_PROPAGATE, carrying the new value's hash).
func TestFKJoinDiscardsStaleResponse(t *testing.T) {
	for _, left := range []bool{false, true} {
		sb := topology.NewStreamsBuilder()
		lt := topology.ToTable(topology.FlatMapValues(topology.Stream(sb, "left", fkStrings), func(v string) []string {
			a, b, _ := cut(v)
			return []string{a, b}
		}), topology.Materialized[string, string]{Keys: serde.String, Values: serde.String, CachingDisabled: true})
		rt := topology.Table(sb, "right_table", fkStrings, topology.Materialized[string, string]{})
		var j *topology.KTable[string, string]
		if left {
			j = topology.LeftJoinOnForeignKey(lt, rt, fkRHS, func(a, b string, found bool) string {
				if !found {
					b = "null"
				}
				return "(" + a + "," + b + ")"
			})
		} else {
			j = topology.JoinOnForeignKey(lt, rt, fkRHS, func(a, b string) string { return "(" + a + "," + b + ")" })
		}
		j.ToStream().To("output", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})
		top, err := sb.Build()
		if err != nil {
			t.Fatal(err)
		}
		d, err := testutil.NewTopologyTestDriver(top)
		if err != nil {
			t.Fatal(err)
		}
		r := testutil.CreateInputTopic(d, "right_table", serde.String, serde.String)
		l := testutil.CreateInputTopic(d, "left", serde.String, serde.String)
		out := testutil.CreateOutputTopic(d, "output", serde.String, serde.String)
		pipe(t, r, "rhs1", "rhsValue1", 0)
		pipe(t, r, "rhs2", "rhsValue2", 1)
		// Two updates of lhs1 from one record: v1 -> rhs1, then v2 -> rhs2.
		pipe(t, l, "lhs1", "v1|rhs1;v2|rhs2", 2)
		recs, err := out.ReadRecordsToList()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, rec := range recs {
			v := rec.Value
			if rec.Tombstone {
				v = "null"
			}
			got = append(got, rec.Key+"="+v)
		}
		// Inner: the first update's subscription (PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE, hash of
		// v1) is answered but stale; the second's move from rhs1 deletes without propagating,
		// and its answer from rhs2 is joined. Left: the move from rhs1 propagates a half join
		// with the new value.
		want := []string{"lhs1=(v2|rhs2,rhsValue2)"}
		if left {
			want = []string{"lhs1=(v2|rhs2,null)", "lhs1=(v2|rhs2,rhsValue2)"}
		}
		if len(got) != len(want) {
			t.Errorf("left=%v: got %v, want %v", left, got, want)
		} else {
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("left=%v: got %v, want %v", left, got, want)
					break
				}
			}
		}
		_ = d.Close()
	}
}

func cut(v string) (string, string, bool) {
	for i := range len(v) {
		if v[i] == ';' {
			return v[:i], v[i+1:], true
		}
	}
	return v, "", false
}

// With the result store's cache on (Kafka's default, which its tests turn off because "the
// cache suppresses some of the unnecessary tombstones"), the inner join's tombstones for keys
// that had no result are not forwarded: the cache forwards nothing for a key absent before
// and after (Kafka's CachingKeyValueStore). The TopologyTestDriver flushes after each record.
func TestFKJoinMaterializedCached(t *testing.T) {
	for _, left := range []bool{false, true} {
		t.Run("left="+strconv.FormatBool(left), func(t *testing.T) {
			first := either(left, strMap{"lhs1": "(lhsValue1|rhs1,null)"}, strMap{})
			// shouldEmitTombstoneWhenDeletingNonJoiningRecords
			fkRunStepsC(t, left, true, true, []fkStep{
				{"l", "lhs1", "lhsValue1|rhs1", first, first},
				{"l", "lhs1", "", either(left, strMap{"lhs1": "null"}, strMap{}), strMap{}},
				{"l", "lhs1", "", strMap{}, strMap{}},
			})
			// joinShouldProduceNullsWhenValueHasNonMatchingForeignKey
			half := func(fk string) strMap {
				return either(left, strMap{"lhs1": "(lhsValue1|" + fk + ",null)"}, strMap{})
			}
			full := strMap{"lhs1": "(lhsValue1|rhs1,rhsValue1)"}
			fkRunStepsC(t, left, true, true, []fkStep{
				{"l", "lhs1", "lhsValue1|rhs1", first, first},
				{"l", "lhs1", "lhsValue1|rhs2", half("rhs2"), half("rhs2")},
				{"l", "lhs1", "lhsValue1|rhs3", half("rhs3"), half("rhs3")},
				{"r", "rhs1", "rhsValue1", strMap{}, half("rhs3")},
				{"l", "lhs1", "lhsValue1|rhs1", full, full},
				{"l", "lhs1", "lhsValue1|rhs2", either(left, half("rhs2"), strMap{"lhs1": "null"}), half("rhs2")},
			})
		})
	}
}
