package serde_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/tributary-go/tributary/serde"
)

func ExampleInt64() {
	b, err := serde.Int64.Serialize("orders", 1<<40)
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", b) // the bytes Kafka's LongSerializer writes

	v, err := serde.Int64.Deserialize("orders", b)
	fmt.Println(v, err)

	_, err = serde.Int64.Deserialize("orders", b[:3])
	fmt.Println(err)
	fmt.Println(errors.Is(err, serde.ErrSize))
	// Output:
	// 00 00 01 00 00 00 00 00
	// 1099511627776 <nil>
	// serde Int64: deserialize (topic "orders"): data has 3 bytes, want 8
	// true
}

func ExampleJSON() {
	type User struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	users := serde.JSON[User]()

	b, _ := users.Serialize("users", User{Name: "Ada", Age: 36})
	fmt.Println(string(b))

	u, err := users.Deserialize("users", []byte(`{"name":"Grace","age":45}`))
	fmt.Printf("%+v %v\n", u, err)

	_, err = users.Deserialize("users", []byte(`{"name":`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, serde.ErrInvalid))
	// Output:
	// {"name":"Ada","age":36}
	// {Name:Grace Age:45} <nil>
	// serde JSON[serde_test.User]: deserialize (topic "users"): unexpected end of JSON input
	// true
}

func ExampleTimeWindowed() {
	keys := serde.TimeWindowed(serde.String, 10*time.Second)

	b, _ := keys.Serialize("counts", serde.Windowed[string]{Key: "k", Start: 1000})
	fmt.Printf("% x\n", b) // "k" then the start, as TimeWindowedSerializer writes

	w, _ := keys.Deserialize("counts", b)
	fmt.Printf("%+v\n", w) // End is recomputed from the window size
	// Output:
	// 6b 00 00 00 00 00 00 03 e8
	// {Key:k Start:1000 End:11000}
}

func ExampleSessionWindowed() {
	keys := serde.SessionWindowed(serde.String)

	b, _ := keys.Serialize("sessions", serde.Windowed[string]{Key: "k", Start: 1, End: 2})
	fmt.Printf("% x\n", b) // "k", then end, then start, as SessionKeySchema.toBinary writes
	// Output:
	// 6b 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00 01
}

func ExampleNew() {
	nonEmpty := serde.New("NonEmpty",
		func(topic string, v string) ([]byte, error) {
			if v == "" {
				return nil, errors.New("empty string")
			}
			return []byte(v), nil
		},
		func(topic string, b []byte) (string, error) { return string(b), nil },
	)
	_, err := nonEmpty.Serialize("names", "")
	fmt.Println(err)
	// Output:
	// serde NonEmpty: serialize (topic "names"): empty string
}
