package main

import "testing"

// TestCommandTable checks what register used to check at start-up, and
// what help needs of every command.
func TestCommandTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands {
		if seen[c.name] {
			t.Errorf("command %q is in the table twice", c.name)
		}
		seen[c.name] = true
		if c.summary == "" || c.example == "" || c.flags == nil {
			t.Errorf("command %q lacks a summary, an example or its flags", c.name)
		}
	}
}
