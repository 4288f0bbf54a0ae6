package objquery

import (
	"strings"
	"testing"
	"time"

	"liaison"
)

func TestParse(t *testing.T) {
	stamp := "2024-02-02T00:00:00.000Z"
	st, _ := time.Parse(time.RFC3339Nano, stamp)
	tests := []struct {
		name string
		q    liaison.ObjectQuery
		want string // an error message fragment, or "" for success
		chk  func(Filter) bool
	}{
		{"defaults: latest versions, default page", liaison.ObjectQuery{}, "", func(f Filter) bool { return f.Last && !f.All && f.Limit == DefaultPageSize }},
		{"limit capped", liaison.ObjectQuery{Limit: 5000}, "", func(f Filter) bool { return f.Limit == MaxPageSize }},
		{"negative limit", liaison.ObjectQuery{Limit: -1}, "limit -1 is negative", nil},
		{"comma lists split and trimmed", liaison.ObjectQuery{Types: []string{"indicator, malware", ""}}, "", func(f Filter) bool {
			return len(f.Types) == 2 && f.Types[1] == "malware"
		}},
		{"versions union", liaison.ObjectQuery{Versions: []string{"first,last", stamp}}, "", func(f Filter) bool {
			return f.First && f.Last && len(f.Stamps) == 1 && f.Stamps[0] == st.UnixMicro()
		}},
		{"bad version", liaison.ObjectQuery{Versions: []string{"newest"}}, `version "newest" is not first, last, all`, nil},
		{"the cursor moves after forward only", liaison.ObjectQuery{AddedAfter: st, Next: EncodeCursor(st.UnixMicro() - 5)}, "", func(f Filter) bool { return f.After == st.UnixMicro() }},
		{"bad cursor", liaison.ObjectQuery{Next: "xyz"}, `next "xyz" is not a cursor this server gave out`, nil},
		{"newest first: the cursor moves before back only", liaison.ObjectQuery{Newest: true, AddedBefore: st, Next: EncodeCursorOrder(st.UnixMicro()-5, true)}, "", func(f Filter) bool {
			return f.Desc && f.Before == st.UnixMicro()-5 && f.Order() == " DESC"
		}},
		{"newest first: added_before alone", liaison.ObjectQuery{Newest: true, AddedBefore: st}, "", func(f Filter) bool { return f.Before == st.UnixMicro() && f.After == 0 }},
		{"a newest-first cursor read oldest first", liaison.ObjectQuery{Next: EncodeCursorOrder(7, true)}, "a cursor of the other order", nil},
		{"an oldest-first cursor read newest first", liaison.ObjectQuery{Newest: true, Next: EncodeCursor(7)}, "a cursor of the other order", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(tt.q)
			if tt.want != "" {
				if liaison.ErrorCode(err) != liaison.EINVALID || !strings.Contains(liaison.ErrorMessage(err), tt.want) {
					t.Fatalf("Parse(%+v) error %v, want EINVALID saying %q", tt.q, err, tt.want)
				}
				return
			}
			if err != nil || !tt.chk(f) {
				t.Fatalf("Parse(%+v) = %+v, %v", tt.q, f, err)
			}
		})
	}
}

func TestWalkAudiences(t *testing.T) {
	tests := []struct {
		readable, all, arms int
		want                bool
	}{
		{0, 10, 8, false},  // reads nothing: no walk at all
		{1, 10, 8, true},   // one audience of many
		{4, 5, 8, true},    // up to 4, even most of the store's
		{5, 10, 8, true},   // half
		{6, 10, 8, false},  // more than half and more than 4
		{3, 3, 8, false},   // every audience: the collection walk is the page
		{9, 100, 8, false}, // more than arms
		{2, 10, 0, false},  // arms 0: walks switched off
	}
	for _, tt := range tests {
		if got := WalkAudiences(tt.readable, tt.all, tt.arms); got != tt.want {
			t.Errorf("WalkAudiences(%d, %d, %d) = %v, want %v", tt.readable, tt.all, tt.arms, got, tt.want)
		}
	}
}

// FuzzDecodeCursorOrder: any text is a cursor of one order, or EINVALID,
// never a panic; what EncodeCursorOrder makes reads back the same.
func FuzzDecodeCursorOrder(f *testing.F) {
	f.Add(EncodeCursor(1))
	f.Add(EncodeCursorOrder(1733011200000000, true))
	f.Add("ZGQxOi0x")
	f.Fuzz(func(t *testing.T, s string) {
		us, desc, err := DecodeCursorOrder(s)
		if err != nil {
			if liaison.ErrorCode(err) != liaison.EINVALID {
				t.Fatalf("%q: %v, want EINVALID", s, err)
			}
			return
		}
		if us < 0 {
			t.Fatalf("%q: negative %d", s, us)
		}
		if u2, d2, err := DecodeCursorOrder(EncodeCursorOrder(us, desc)); err != nil || u2 != us || d2 != desc {
			t.Fatalf("%q: round trip %d %v, %v", s, u2, d2, err)
		}
	})
}
