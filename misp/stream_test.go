package misp

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestStreamedDecodeIsDecode: an event read member by member, its lists
// element by element, is exactly the event json.Unmarshal makes of it.
func TestStreamedDecodeIsDecode(t *testing.T) {
	raw, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var gen bytes.Buffer
	if err := Generate(&gen, 500); err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{"fixture": raw, "generated": gen.Bytes(),
		"lists null and empty": []byte(`{"Event":{"uuid":"u","Attribute":null,"Object":[],"Tag":[{"name":"tlp:red"}]}}`)} {
		var want eventDoc
		if err := json.Unmarshal(in, &want); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want.Event.Attribute == nil {
			want.Event.Attribute = nil
		}
		var got []*Event
		if err := Read(bytes.NewReader(in), func(_ int, ev *Event, err error) error {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			got = append(got, ev)
			return nil
		}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got) != 1 {
			t.Fatalf("%s: %d events", name, len(got))
		}
		if len(want.Event.Object) == 0 {
			want.Event.Object = nil
		}
		if !reflect.DeepEqual(got[0], want.Event) {
			t.Errorf("%s: the streamed event differs from the decoded one", name)
		}
	}
}

// TestStreamedKindErrors: a value of the wrong kind refuses its event in
// words naming the property, and the next event still comes.
func TestStreamedKindErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`[{"Event":{"uuid":"a","Attribute":[{"uuid":"x","value":["v"]}]}},{"Event":{"uuid":"b"}}]`, "property Attribute.value: a JSON array is not accepted there"},
		{`[{"Event":{"uuid":"a","Attribute":"many"}},{"Event":{"uuid":"b"}}]`, "property Attribute: a JSON string is not accepted there"},
		{`[{"Event":{"uuid":"a","Object":[{"uuid":"o","Attribute":[{"uuid":1}]}]}},{"Event":{"uuid":"b"}}]`, "property Object.Attribute.uuid: a JSON number is not accepted there"},
		{`[{"Event":{"uuid":"a","info":{"x":1}}},{"Event":{"uuid":"b"}}]`, "property info: a JSON object is not accepted there"},
		{`[{"Event":"a"},{"Event":{"uuid":"b"}}]`, "a value: a JSON string is not accepted there"},
		{`[{"Evnt":{}},{"Event":{"uuid":"b"}}]`, `no "Event" member`},
	} {
		var msgs []string
		var uuids []string
		err := Read(strings.NewReader(c.in), func(_ int, ev *Event, err error) error {
			if err != nil {
				msgs = append(msgs, err.Error())
			} else {
				uuids = append(uuids, ev.UUID)
			}
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if len(msgs) != 1 || !strings.Contains(msgs[0], c.want) || !strings.Contains(msgs[0], "MISP event 0 (from byte 1)") {
			t.Errorf("%s: refusals %q, want one saying %q", c.in, msgs, c.want)
		}
		if len(uuids) != 1 || uuids[0] != "b" {
			t.Errorf("%s: the next event: %q", c.in, uuids)
		}
	}
}
