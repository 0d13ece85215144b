package render

import (
	"errors"

	"golang.org/x/sys/unix"
)

// errNoExchange means the file system cannot swap two names in one step.
var errNoExchange = errors.New("atomic exchange not supported")

// exchange swaps the directories a and b in one step (renameat2 with
// RENAME_EXCHANGE): a reader of b sees the old render or the new one, never
// neither and never a mix.
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTSUP) {
		return errNoExchange
	}
	return err
}
