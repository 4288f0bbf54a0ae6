package main

import (
	"strings"
	"testing"
)

// TestUserRolesDisableEnable: roles are replaced; a disabled user's token
// stops working and the list says so; enabling gives it back; mistakes
// exit 2 naming them.
func TestUserRolesDisableEnable(t *testing.T) {
	c, _ := initialised(t)
	c.must("correct horse battery\n", "user", "add", "akiko", "--org", "JPN", "--role", "reader")
	c.must("", "user", "roles", "akiko", "--role", "officer", "--role", "analyst")
	if out := c.must("", "user", "list").stdout; !strings.Contains(out, "officer,analyst") {
		t.Errorf("after user roles:\n%s", out)
	}
	c.must("", "user", "disable", "akiko")
	line := func() string {
		for _, l := range strings.Split(c.must("", "user", "list").stdout, "\n") {
			if strings.HasPrefix(l, "akiko ") {
				return l
			}
		}
		return ""
	}
	if l := line(); !strings.HasSuffix(strings.TrimSpace(l), "disabled") {
		t.Errorf("user list says %q after disable", l)
	}
	c.must("", "user", "enable", "akiko")
	if l := line(); !strings.HasSuffix(strings.TrimSpace(l), "active") {
		t.Errorf("user list says %q after enable", l)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"roles: none", []string{"user", "roles", "akiko"}, 2, "want at least one --role"},
		{"roles: unknown", []string{"user", "roles", "akiko", "--role", "king"}, 2, `role "king" is unknown`},
		{"roles: no user", []string{"user", "roles", "nobody", "--role", "reader"}, 0, "nobody"},
		{"disable: no name", []string{"user", "disable"}, 2, "want one user name"},
		{"disable: no user", []string{"user", "disable", "nobody"}, 0, "nobody"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.run("", tc.args...)
			if r.code == 0 || tc.code != 0 && r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d naming %q", r.code, r.stderr, tc.code, tc.want)
			}
		})
	}
}
