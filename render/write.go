package render

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// WriteFiles puts files into dir all at once: they are written to a
// temporary directory beside dir and renamed into place only when every
// write succeeded, so that an error never leaves half an output behind.
func WriteFiles(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), ".composex-")
	if err != nil {
		return fmt.Errorf("creating temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(tmp, name), files[name], 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	var moved []string
	for _, name := range names {
		if err := os.Rename(filepath.Join(tmp, name), filepath.Join(dir, name)); err != nil {
			for _, m := range moved {
				os.Remove(filepath.Join(dir, m))
			}
			return fmt.Errorf("moving %s into %s: %w", name, dir, err)
		}
		moved = append(moved, name)
	}
	return nil
}
