package stix

import (
	"strconv"
	"strings"
	"testing"
)

func TestIDKey(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want int64
	}{
		{"indicator--0123abcd-ef45-4678-9abc-def012345678", 0x0123abcdef454678},
		{"tool--00000000-0000-4000-8000-000000000001", 0x4000},
		{"malware--ffffffff-ffff-4fff-bfff-ffffffffffff", -0xb001}, // 0xffffffffffff4fff
		{"80000000-0000-4000-8000-000000000000", -0x7fffffffffffc000},
		// Ids that differ after the 16th digit share a key.
		{"tool--0123abcd-ef45-4678-8000-000000000000", 0x0123abcdef454678},
		// Not a canonical UUID at the end: 0.
		{"", 0},
		{"tool--0123ABCD-ef45-4678-9abc-def012345678", 0},
		{"tool--0123abcd-ef45-4678-9abc-def01234567", 0},
		{"tool--0123abcd_ef45-4678-9abc-def012345678", 0},
		{"tool--0123abcd-ef45-4678-9abc-def012345678x", 0},
		{"0123abcd-ef45-4678-9abc-def01234567", 0},
	} {
		if got := IDKey(tc.id); got != tc.want {
			t.Errorf("IDKey(%q) = %#x, want %#x", tc.id, got, tc.want)
		}
	}
}

// FuzzIDKey: the key is the first 16 digits of a trailing canonical UUID
// read as an unsigned hexadecimal number, whatever comes before it, and 0
// when there is none.
func FuzzIDKey(f *testing.F) {
	for _, s := range []string{"indicator--0123abcd-ef45-4678-9abc-def012345678", "x--ffffffff-ffff-4fff-bfff-ffffffffffff", "", "tool--", "é0123abcd-ef45-4678-9abc-def012345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		got := IDKey(id)
		if len(id) < 36 || !IsUUID(id[len(id)-36:]) {
			if got != 0 {
				t.Fatalf("IDKey(%q) = %#x for an id without a UUID", id, got)
			}
			return
		}
		u := id[len(id)-36:]
		want, err := strconv.ParseUint(strings.ReplaceAll(u[:18], "-", ""), 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		if got != int64(want) {
			t.Fatalf("IDKey(%q) = %#x, want %#x", id, got, want)
		}
		if other := IDKey("x--" + u); other != got {
			t.Fatalf("the key of %q depends on what precedes the UUID", id)
		}
	})
}
