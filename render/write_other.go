//go:build !linux

package render

import "errors"

var errNoExchange = errors.New("atomic exchange not supported")

// exchange is not available off Linux: the writer moves the old render
// aside and the new one in, two renames.
func exchange(a, b string) error { return errNoExchange }
