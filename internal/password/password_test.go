package password

import (
	"strings"
	"testing"
)

func TestHashAndCheck(t *testing.T) {
	c := Cost{Time: 1, MemoryKiB: 64, Threads: 1}
	a, err := Hash("correct horse", c)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Hash("correct horse", c)
	if a == b {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if !strings.HasPrefix(a, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string", a)
	}
	tests := []struct {
		encoded, password string
		want              bool
	}{
		{a, "correct horse", true},
		{a, "correct horse ", false},
		{a, "", false},
		{strings.Replace(a, "argon2id", "argon2i", 1), "correct horse", false},
		{a[:len(a)-2], "correct horse", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := Check(tt.encoded, tt.password); got != tt.want {
			t.Errorf("Check(%q, %q) = %v, want %v", tt.encoded, tt.password, got, tt.want)
		}
	}
}

// FuzzCheckPassword: a malformed or foreign PHC string never matches and
// never panics; a hash we made matches only its own password.
func FuzzCheckPassword(f *testing.F) {
	cheap := Cost{Time: 1, MemoryKiB: 8, Threads: 1}
	good, err := Hash("pw", cheap)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "pw")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA", "pw")
	f.Add("$argon2i$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA", "pw")
	f.Add("$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$aGFzaA", "pw")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, encoded, password string) {
		// Keep the fuzzer from asking for huge memory or many passes.
		if strings.Count(encoded, "$") == 5 && !strings.Contains(encoded, "m=8,t=1,p=1$") {
			return
		}
		ok := Check(encoded, password)
		if encoded == good && ok != (password == "pw") {
			t.Fatalf("Check(good, %q) = %v", password, ok)
		}
	})
}
