//go:build unix

package render

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lockDir takes an exclusive lock on dir, so that two renders into the same
// output never interleave their swaps: the second waits for the first and
// then replaces its render whole. It gives up after wait, naming the cause.
func lockDir(dir string, wait time.Duration) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			// A file system without locks (some network mounts): go on
			// unlocked rather than refuse to write at all.
			return func() { f.Close() }, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("another composex render has been writing beside it for %s (lock on %s); try again when it has finished", wait, dir)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
