package render

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// WriteFiles makes dir hold exactly files: one complete render, never a mix
// of two. The files are written to a new directory beside dir, which is then
// swapped in with one rename (an atomic exchange where the file system
// supports it), so that a failure or a kill at any point leaves either the
// previous render or the new one, whole. Files of an earlier render that the
// new one no longer has (nested stacks, a .json after a switch to yaml) go
// with the old directory, and only on success.
//
// Where no directory can be made beside dir (dir is a mount point, the
// parent is read-only or on another file system), the files are staged
// inside dir and renamed into it one by one, and the stale ones removed
// last: the result is the same, but a reader may see both renders' files
// for the moment of the moves.
//
// composex replaces the whole directory, so it refuses one that holds
// anything a render does not write (a subdirectory, a file that is not
// .yaml, .yml or .json): -o . in a source tree must never delete it.
func WriteFiles(dir string, files map[string][]byte) error {
	return writeFiles(dir, files, nil)
}

// errKilled is returned by a test hook to stop the writer where it stands,
// without any of its clean-up, as a SIGKILL would.
var errKilled = errors.New("killed by test hook")

// writeHook lets tests fail or stop the writer at a named step.
type writeHook func(step string) error

func (h writeHook) at(step string) error {
	if h == nil {
		return nil
	}
	return h(step)
}

const (
	tempNew = ".composex-new-"
	tempOld = ".composex-old-"
	// lockWait bounds how long a render waits for another one writing the
	// same directory: never a hang.
	lockWait = 60 * time.Second
)

func writeFiles(dir string, files map[string][]byte, hook writeHook) (err error) {
	target, err := outputTarget(dir)
	if err != nil {
		return err
	}
	parent, base := filepath.Dir(target), filepath.Base(target)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	unlock, err := lockDir(parent, lockWait)
	if err != nil {
		return fmt.Errorf("output directory %s: %w", dir, err)
	}
	// Released even on a simulated kill: a real one ends the process, and
	// the kernel drops the lock with it.
	defer unlock()
	exists, err := checkOutputDir(target)
	if err != nil {
		return err
	}
	if exists {
		restoreInPlace(target)
		removeLeftovers(target, tempNew, tempOld)
	} else {
		// A render killed between its two renames left the previous one
		// aside: put it back first, so that a failure now keeps it.
		if restoreAside(parent, "."+base+tempOld, target) {
			exists = true
		}
	}
	removeLeftovers(parent, "."+base+tempNew, "."+base+tempOld)

	tmp, err := os.MkdirTemp(parent, "."+base+tempNew)
	if err == nil {
		if err = hook.at("mkdir beside"); errors.Is(err, errKilled) {
			return err
		} else if err != nil {
			os.RemoveAll(tmp)
		}
	}
	if err != nil {
		// No room beside the target (a read-only parent, a mount point's
		// parent on another device): stage inside it instead.
		return writeInPlace(target, exists, files, hook)
	}
	defer func() {
		if !errors.Is(err, errKilled) {
			os.RemoveAll(tmp)
		}
	}()
	if err := writeAll(tmp, files, hook); err != nil {
		return err
	}
	if !exists {
		if err := hook.at("rename"); err != nil {
			return err
		}
		if err := os.Rename(tmp, target); err != nil {
			return fmt.Errorf("moving the render into %s: %w", dir, err)
		}
		return nil
	}
	swapErr := hook.at("exchange")
	if swapErr == nil {
		swapErr = exchange(tmp, target)
	}
	switch {
	case swapErr == nil:
		return nil // tmp now holds the previous render; the deferred RemoveAll drops it
	case errors.Is(swapErr, errKilled):
		return swapErr
	case errors.Is(swapErr, syscall.EXDEV), errors.Is(swapErr, syscall.EBUSY):
		// A mount point cannot be renamed: replace its contents instead.
		return writeInPlace(target, exists, files, hook)
	case !errors.Is(swapErr, errNoExchange):
		return fmt.Errorf("moving the render into %s: %w", dir, swapErr)
	}
	// The file system cannot exchange two names in one step: move the old
	// directory aside, then the new one in. A reader in between sees no
	// directory, never a mix.
	old := strings.Replace(tmp, tempNew, tempOld, 1)
	if err := renameStep(hook, "move old aside", target, old); err != nil {
		if errors.Is(err, syscall.EXDEV) || errors.Is(err, syscall.EBUSY) {
			return writeInPlace(target, exists, files, hook)
		}
		return fmt.Errorf("moving the previous render out of %s: %w", dir, err)
	}
	if err := renameStep(hook, "move new in", tmp, target); err != nil {
		if errors.Is(err, errKilled) {
			return err
		}
		// Put the previous render back: a failed render changes nothing.
		if back := os.Rename(old, target); back != nil {
			return fmt.Errorf("moving the render into %s: %v; the previous render is in %s", dir, err, old)
		}
		return fmt.Errorf("moving the render into %s: %w", dir, err)
	}
	os.RemoveAll(old)
	return nil
}

// outputTarget resolves dir to the directory that is really replaced: a
// symlink stays in place and its target gets the new render.
func outputTarget(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("output directory %s: %w", dir, err)
	}
	if fi, err := os.Lstat(abs); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return "", fmt.Errorf("output directory %s is a symlink that leads nowhere: %w", dir, err)
		}
		return real, nil
	}
	return abs, nil
}

// checkOutputDir tells whether target exists, and refuses it when it is not
// a directory or holds something composex does not write.
func checkOutputDir(target string) (bool, error) {
	fi, err := os.Stat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("creating output directory: %w", err)
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("creating output directory: %s exists and is not a directory", target)
	}
	entries, err := os.ReadDir(target)
	if err != nil {
		return false, fmt.Errorf("reading output directory: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() && (strings.HasPrefix(e.Name(), tempNew) || strings.HasPrefix(e.Name(), tempOld)) {
			continue // left by an interrupted in-place render
		}
		if !isRenderFile(e) {
			return false, fmt.Errorf("output directory %s holds %s, which a render does not write; composex replaces the whole directory, so give a new or empty one (or one that holds only an earlier render)", target, e.Name())
		}
	}
	return true, nil
}

// isRenderFile reports whether an entry of the output directory is one that
// a render writes: a regular template or parameters file.
func isRenderFile(e fs.DirEntry) bool {
	if !e.Type().IsRegular() {
		return false
	}
	switch filepath.Ext(e.Name()) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// writeAll writes every file into dir, in name order.
func writeAll(dir string, files map[string][]byte, hook writeHook) error {
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("preparing the output: %w", err)
	}
	for _, name := range sortedNames(files) {
		if err := hook.at("write " + name); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}

// writeInPlace is the fallback when nothing can be created beside target:
// stage the new files inside it, move the old render's files into a
// directory of their own, move the new ones in, and drop the old. A failure
// moves everything back; a reader may see the directory between the two
// renders for the moment of the moves.
func writeInPlace(target string, exists bool, files map[string][]byte, hook writeHook) (err error) {
	if !exists {
		if err := os.Mkdir(target, 0o755); err != nil {
			return fmt.Errorf("creating output directory: %w", err)
		}
	}
	restoreInPlace(target)
	removeLeftovers(target, tempNew, tempOld)
	tmp, err := os.MkdirTemp(target, tempNew)
	if err != nil {
		return fmt.Errorf("output directory %s: cannot create a temporary directory beside it or inside it: %w", target, err)
	}
	old, err := os.MkdirTemp(target, tempOld)
	if err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("output directory %s: cannot create a temporary directory inside it: %w", target, err)
	}
	var movedOut, movedIn []string
	defer func() {
		if errors.Is(err, errKilled) {
			return
		}
		if err != nil {
			for _, name := range movedIn {
				os.Remove(filepath.Join(target, name))
			}
			for _, name := range movedOut {
				os.Rename(filepath.Join(old, name), filepath.Join(target, name))
			}
		}
		os.RemoveAll(tmp)
		os.RemoveAll(old)
	}()
	if err := writeAll(tmp, files, hook); err != nil {
		return err
	}
	entries, err := os.ReadDir(target)
	if err != nil {
		return fmt.Errorf("reading output directory: %w", err)
	}
	for _, e := range entries {
		if !isRenderFile(e) {
			continue
		}
		if err := renameStep(hook, "in place: out "+e.Name(), filepath.Join(target, e.Name()), filepath.Join(old, e.Name())); err != nil {
			return wrapUnlessKilled(err, "moving %s out of %s", e.Name(), target)
		}
		movedOut = append(movedOut, e.Name())
	}
	for _, name := range sortedNames(files) {
		if err := renameStep(hook, "in place: in "+name, filepath.Join(tmp, name), filepath.Join(target, name)); err != nil {
			return wrapUnlessKilled(err, "moving %s into %s", name, target)
		}
		movedIn = append(movedIn, name)
	}
	return nil
}

func wrapUnlessKilled(err error, format string, args ...any) error {
	if errors.Is(err, errKilled) {
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// restoreInPlace moves back the files of a previous render that an
// in-place render killed between its moves had set aside inside target,
// when target holds no render of its own.
func restoreInPlace(target string) {
	entries, err := os.ReadDir(target)
	if err != nil {
		return
	}
	var aside []string
	for _, e := range entries {
		if isRenderFile(e) {
			return
		}
		if e.IsDir() && strings.HasPrefix(e.Name(), tempOld) {
			aside = append(aside, e.Name())
		}
	}
	for _, dir := range aside {
		files, _ := os.ReadDir(filepath.Join(target, dir))
		for _, f := range files {
			if isRenderFile(f) {
				os.Rename(filepath.Join(target, dir, f.Name()), filepath.Join(target, f.Name()))
			}
		}
	}
}

// restoreAside renames the newest directory of parent whose name starts
// with prefix back to target.
func restoreAside(parent, prefix, target string) bool {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return false
	}
	var newest string
	var newestTime time.Time
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.ModTime().After(newestTime) {
			newest, newestTime = e.Name(), fi.ModTime()
		}
	}
	return newest != "" && os.Rename(filepath.Join(parent, newest), target) == nil
}

func renameStep(hook writeHook, step, from, to string) error {
	if err := hook.at(step); err != nil {
		return err
	}
	return os.Rename(from, to)
}

// removeLeftovers deletes what an interrupted render left in dir: entries
// whose names start with one of the prefixes.
func removeLeftovers(dir string, prefixes ...string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		for _, p := range prefixes {
			if strings.HasPrefix(e.Name(), p) {
				os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}
	}
}

func sortedNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
