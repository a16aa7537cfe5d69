package topology_test

import (
	"maps"
	"strconv"
	"strings"
	"testing"

	"github.com/tributary-go/tributary/serde"
	"github.com/tributary-go/tributary/testutil"
	"github.com/tributary-go/tributary/topology"
)

// Foreign-key table-table joins, transcribed from Kafka Streams' KStreamImplTest
// (shouldSupportForeignKeyTableTableJoinWithKTableFromKStream),
// KTableKTableForeignKeyJoinScenarioTest (validateTopologyCanProcessData of
// shouldWorkWithDefaultAndJoinResultSerdes) and KTableKTableForeignKeyJoinIntegrationTest
// (doJoinFromLeftThenDeleteLeftEntity, doJoinFromRightThenDeleteRightEntity,
// shouldEmitTombstoneWhenDeletingNonJoiningRecords, with rejoin=false, unversioned tables,
// inner and left joins, materialized or not), which run on the TopologyTestDriver in Kafka
// too. Kafka's readKeyValuesToMap keeps a tombstone as key -> null: fkReadMap does the same
// with the string "null".

var fkStrings = topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}

func fkReadMap(t *testing.T, o *testutil.TestOutputTopic[string, string]) map[string]string {
	t.Helper()
	recs, err := o.ReadRecordsToList()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, r := range recs {
		if r.Tombstone {
			m[r.Key] = "null"
		} else {
			m[r.Key] = r.Value
		}
	}
	return m
}

func fkCheck(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func fkRHS(v string) string {
	_, after, _ := strings.Cut(v, "|")
	return after
}

// fkProgram is the integration test's getTopology: left and right tables from topics,
// joined on the FK after "|", the result to "output" (and queryable as "store" when
// materialized).
func fkProgram(t *testing.T, left, materialized bool) (*testutil.TopologyTestDriver, *testutil.TestInputTopic[string, string], *testutil.TestInputTopic[string, string], *testutil.TestOutputTopic[string, string]) {
	t.Helper()
	return fkProgramC(t, left, materialized, false)
}

// fkProgramC is fkProgram with the result store's cache on or off.
func fkProgramC(t *testing.T, left, materialized, caching bool) (*testutil.TopologyTestDriver, *testutil.TestInputTopic[string, string], *testutil.TestInputTopic[string, string], *testutil.TestOutputTopic[string, string]) {
	t.Helper()
	sb := topology.NewStreamsBuilder()
	lt := topology.Table(sb, "left_table", fkStrings, topology.Materialized[string, string]{})
	rt := topology.Table(sb, "right_table", fkStrings, topology.Materialized[string, string]{})
	// Kafka's getTopology disables caching: "the cache suppresses some of the unnecessary
	// tombstones we want to make assertions about".
	m := topology.Materialized[string, string]{Name: "store", Values: serde.String, StoreType: topology.StoreInMemory, CachingDisabled: !caching}
	var j *topology.KTable[string, string]
	inner := func(a, b string) string { return "(" + a + "," + b + ")" }
	leftJ := func(a, b string, found bool) string {
		if !found {
			b = "null"
		}
		return "(" + a + "," + b + ")"
	}
	switch {
	case left && materialized:
		j = topology.LeftJoinOnForeignKeyMaterialized(lt, rt, fkRHS, leftJ, m)
	case left:
		j = topology.LeftJoinOnForeignKey(lt, rt, fkRHS, leftJ)
	case materialized:
		j = topology.JoinOnForeignKeyMaterialized(lt, rt, fkRHS, inner, m)
	default:
		j = topology.JoinOnForeignKey(lt, rt, fkRHS, inner)
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
	t.Cleanup(func() { _ = d.Close() })
	return d, testutil.CreateInputTopic(d, "left_table", serde.String, serde.String),
		testutil.CreateInputTopic(d, "right_table", serde.String, serde.String),
		testutil.CreateOutputTopic(d, "output", serde.String, serde.String)
}

// fkStore reads the materialized result store.
func fkStore(t *testing.T, d *testutil.TopologyTestDriver) map[string]string {
	t.Helper()
	s, err := testutil.KeyValueStore[string, string](d, "store")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.All()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := map[string]string{}
	for c.Next() {
		m[c.Key()] = c.Value()
	}
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

func fkCases(t *testing.T, run func(t *testing.T, left, materialized bool)) {
	for _, left := range []bool{false, true} {
		for _, mat := range []bool{false, true} {
			t.Run("left="+strconv.FormatBool(left)+",materialized="+strconv.FormatBool(mat), func(t *testing.T) { run(t, left, mat) })
		}
	}
}

func pipe(t *testing.T, in *testutil.TestInputTopic[string, string], k, v string, ts int64) {
	t.Helper()
	var err error
	if v == "" {
		err = in.PipeRecordList([]testutil.TestRecord[string, string]{{Key: k, Tombstone: true, Timestamp: ts}})
	} else {
		err = in.PipeInputWithTimestamp(k, v, ts)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// KTableKTableForeignKeyJoinIntegrationTest.doJoinFromLeftThenDeleteLeftEntity.
func TestFKJoinFromLeftThenDeleteLeftEntity(t *testing.T) {
	fkCases(t, func(t *testing.T, left, materialized bool) {
		d, l, r, out := fkProgram(t, left, materialized)
		pipe(t, r, "rhs1", "rhsValue1", 0)
		pipe(t, r, "rhs2", "rhsValue2", 1)
		pipe(t, r, "rhs3", "rhsValue3", 2)
		fkCheck(t, "rhs only", fkReadMap(t, out), map[string]string{})
		if materialized {
			fkCheck(t, "store", fkStore(t, d), map[string]string{})
		}
		pipe(t, l, "lhs1", "lhsValue1|rhs1", 3)
		pipe(t, l, "lhs2", "lhsValue2|rhs2", 4)
		want := map[string]string{"lhs1": "(lhsValue1|rhs1,rhsValue1)", "lhs2": "(lhsValue2|rhs2,rhsValue2)"}
		fkCheck(t, "lhs1, lhs2", fkReadMap(t, out), want)
		if materialized {
			fkCheck(t, "store", fkStore(t, d), want)
		}
		pipe(t, l, "lhs3", "lhsValue3|rhs1", 5)
		fkCheck(t, "lhs3", fkReadMap(t, out), map[string]string{"lhs3": "(lhsValue3|rhs1,rhsValue1)"})
		if materialized {
			fkCheck(t, "store", fkStore(t, d), map[string]string{"lhs1": "(lhsValue1|rhs1,rhsValue1)", "lhs2": "(lhsValue2|rhs2,rhsValue2)", "lhs3": "(lhsValue3|rhs1,rhsValue1)"})
		}
		pipe(t, l, "lhs1", "", 6)
		fkCheck(t, "delete lhs1", fkReadMap(t, out), map[string]string{"lhs1": "null"})
		if materialized {
			fkCheck(t, "store", fkStore(t, d), map[string]string{"lhs2": "(lhsValue2|rhs2,rhsValue2)", "lhs3": "(lhsValue3|rhs1,rhsValue1)"})
		}
	})
}

// KTableKTableForeignKeyJoinIntegrationTest.doJoinFromRightThenDeleteRightEntity.
func TestFKJoinFromRightThenDeleteRightEntity(t *testing.T) {
	fkCases(t, func(t *testing.T, left, materialized bool) {
		d, l, r, out := fkProgram(t, left, materialized)
		pipe(t, l, "lhs1", "lhsValue1|rhs1", 0)
		pipe(t, l, "lhs2", "lhsValue2|rhs2", 1)
		pipe(t, l, "lhs3", "lhsValue3|rhs1", 2)
		want := map[string]string{}
		if left {
			want = map[string]string{"lhs1": "(lhsValue1|rhs1,null)", "lhs2": "(lhsValue2|rhs2,null)", "lhs3": "(lhsValue3|rhs1,null)"}
		}
		fkCheck(t, "lhs only", fkReadMap(t, out), want)
		if materialized {
			fkCheck(t, "store", fkStore(t, d), want)
		}
		pipe(t, r, "rhs1", "rhsValue1", 3)
		fkCheck(t, "rhs1", fkReadMap(t, out), map[string]string{"lhs1": "(lhsValue1|rhs1,rhsValue1)", "lhs3": "(lhsValue3|rhs1,rhsValue1)"})
		if materialized {
			want = map[string]string{"lhs1": "(lhsValue1|rhs1,rhsValue1)", "lhs3": "(lhsValue3|rhs1,rhsValue1)"}
			if left {
				want["lhs2"] = "(lhsValue2|rhs2,null)"
			}
			fkCheck(t, "store", fkStore(t, d), want)
		}
		pipe(t, r, "rhs2", "rhsValue2", 4)
		fkCheck(t, "rhs2", fkReadMap(t, out), map[string]string{"lhs2": "(lhsValue2|rhs2,rhsValue2)"})
		all := map[string]string{"lhs1": "(lhsValue1|rhs1,rhsValue1)", "lhs2": "(lhsValue2|rhs2,rhsValue2)", "lhs3": "(lhsValue3|rhs1,rhsValue1)"}
		if materialized {
			fkCheck(t, "store", fkStore(t, d), all)
		}
		pipe(t, r, "rhs3", "rhsValue3", 5)
		fkCheck(t, "rhs3", fkReadMap(t, out), map[string]string{})
		if materialized {
			fkCheck(t, "store", fkStore(t, d), all)
		}
		pipe(t, r, "rhs1", "", 6)
		if left {
			want = map[string]string{"lhs1": "(lhsValue1|rhs1,null)", "lhs3": "(lhsValue3|rhs1,null)"}
		} else {
			want = map[string]string{"lhs1": "null", "lhs3": "null"}
		}
		fkCheck(t, "delete rhs1", fkReadMap(t, out), want)
		if materialized {
			if left {
				want = map[string]string{"lhs1": "(lhsValue1|rhs1,null)", "lhs2": "(lhsValue2|rhs2,rhsValue2)", "lhs3": "(lhsValue3|rhs1,null)"}
			} else {
				want = map[string]string{"lhs2": "(lhsValue2|rhs2,rhsValue2)"}
			}
			fkCheck(t, "store", fkStore(t, d), want)
		}
	})
}

// KTableKTableForeignKeyJoinScenarioTest.shouldWorkWithDefaultAndJoinResultSerdes: the FK
// join's materialized result ("asdf") joined again with the left table.
func TestFKJoinScenarioRejoinMaterialized(t *testing.T) {
	intStr := topology.Consumed[int32, string]{Keys: serde.Int32, Values: serde.String}
	sb := topology.NewStreamsBuilder()
	a := topology.Table(sb, "A", intStr, topology.Materialized[int32, string]{})
	b := topology.Table(sb, "B", intStr, topology.Materialized[int32, string]{})
	fk := topology.JoinOnForeignKeyMaterialized(a, b, func(v string) int32 {
		n, _ := strconv.Atoi(strings.Split(v, "-")[0])
		return int32(n)
	}, func(av, bv string) string { return "(" + av + "," + bv + ")" },
		topology.Materialized[int32, string]{Name: "asdf", Keys: serde.Int32, Values: serde.String, StoreType: topology.StoreInMemory})
	topology.JoinTables(a, fk, func(av, fv string) string { return "(" + av + "," + fv + ")" }).
		ToStream().To("output", topology.Produced[int32, string]{Keys: serde.Int32, Values: serde.String})
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := testutil.CreateInputTopic(d, "A", serde.Int32, serde.String).PipeInput(1, "999-alpha"); err != nil {
		t.Fatal(err)
	}
	if err := testutil.CreateInputTopic(d, "B", serde.Int32, serde.String).PipeInput(999, "beta"); err != nil {
		t.Fatal(err)
	}
	got, err := testutil.ReadKeyValuesToMap(testutil.CreateOutputTopic(d, "output", serde.Int32, serde.String))
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, map[int32]string{1: "(999-alpha,(999-alpha,beta))"}) {
		t.Errorf("got %v", got)
	}
}

// KStreamImplTest.shouldSupportForeignKeyTableTableJoinWithKTableFromKStream (the data part;
// dsl_join_fk_describe_test.go checks its Describe).
func TestFKJoinWithKTableFromKStream(t *testing.T) {
	sb := topology.NewStreamsBuilder()
	lt := topology.ToTable(topology.Stream(sb, "input1", fkStrings), topology.Materialized[string, string]{})
	rt := topology.ToTable(topology.Stream(sb, "input2", fkStrings), topology.Materialized[string, string]{})
	topology.JoinOnForeignKey(lt, rt, fkRHS, func(a, b string) string { return "(" + a + "," + b + ")" }).
		ToStream().To("output", topology.Produced[string, string]{Keys: serde.String, Values: serde.String})
	top, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	d, err := testutil.NewTopologyTestDriver(top)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	l := testutil.CreateInputTopic(d, "input1", serde.String, serde.String)
	r := testutil.CreateInputTopic(d, "input2", serde.String, serde.String)
	out := testutil.CreateOutputTopic(d, "output", serde.String, serde.String)
	pipe(t, r, "rhs1", "rhsValue1", 0)
	pipe(t, r, "rhs2", "rhsValue2", 0)
	pipe(t, r, "rhs3", "rhsValue3", 0)
	fkCheck(t, "rhs", fkReadMap(t, out), map[string]string{})
	pipe(t, l, "lhs1", "lhsValue1|rhs1", 0)
	pipe(t, l, "lhs2", "lhsValue2|rhs2", 0)
	fkCheck(t, "lhs1, lhs2", fkReadMap(t, out), map[string]string{"lhs1": "(lhsValue1|rhs1,rhsValue1)", "lhs2": "(lhsValue2|rhs2,rhsValue2)"})
	pipe(t, l, "lhs3", "lhsValue3|rhs1", 0)
	fkCheck(t, "lhs3", fkReadMap(t, out), map[string]string{"lhs3": "(lhsValue3|rhs1,rhsValue1)"})
	pipe(t, l, "lhs1", "", 0)
	fkCheck(t, "delete lhs1", fkReadMap(t, out), map[string]string{"lhs1": "null"})
}

// Build reports the mistakes of a foreign-key join.
func TestFKJoinBuildErrors(t *testing.T) {
	noValues := topology.Consumed[string, string]{Keys: serde.String, Values: serde.String}
	cases := map[string]func(sb *topology.StreamsBuilder){
		"nil extractor": func(sb *topology.StreamsBuilder) {
			a := topology.Table(sb, "a", fkStrings, topology.Materialized[string, string]{})
			b := topology.Table(sb, "b", fkStrings, topology.Materialized[string, string]{})
			topology.JoinOnForeignKey(a, b, nil, func(x, y string) string { return x })
		},
		"nil joiner": func(sb *topology.StreamsBuilder) {
			a := topology.Table(sb, "a", fkStrings, topology.Materialized[string, string]{})
			b := topology.Table(sb, "b", fkStrings, topology.Materialized[string, string]{})
			topology.LeftJoinOnForeignKey[string, string, string, string, string](a, b, fkRHS, nil)
		},
		"nil other table": func(sb *topology.StreamsBuilder) {
			a := topology.Table(sb, "a", fkStrings, topology.Materialized[string, string]{})
			topology.JoinOnForeignKey[string, string, string, string, string](a, nil, fkRHS, func(x, y string) string { return x })
		},
		"no value serde": func(sb *topology.StreamsBuilder) {
			a := topology.MapTableValues(topology.Table(sb, "a", noValues, topology.Materialized[string, string]{}), func(v string) string { return v })
			b := topology.Table(sb, "b", fkStrings, topology.Materialized[string, string]{})
			topology.JoinOnForeignKey(a, b, fkRHS, func(x, y string) string { return x })
		},
	}
	for name, build := range cases {
		sb := topology.NewStreamsBuilder()
		build(sb)
		if _, err := sb.Build(); err == nil {
			t.Errorf("%s: Build succeeded", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
