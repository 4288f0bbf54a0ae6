package core

import (
	"io/fs"
	"sort"
	"strings"
)

// MigrationNames names the migrations in fsys's migrations folder
// (NNNN_name.sql) in the order they apply.
func MigrationNames(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, "migrations")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}
