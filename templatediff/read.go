package templatediff

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// maxFileBytes bounds each file read from an output directory: a template
// CloudFormation accepts is at most 1 MB through S3, so anything far larger
// is not a render and is not read into memory.
const maxFileBytes = 16 << 20

// ReadDir reads the render in dir: every regular file at its top level
// whose name is a template or a parameters file. Subdirectories, symlinks
// to non-regular files and other names are ignored, as composex writes
// none of them.
func ReadDir(dir string) (map[string][]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if _, ok := documentKey(e.Name()); !ok {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		body, err := readBounded(p)
		if err != nil {
			return nil, err
		}
		files[e.Name()] = body
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s holds no composex render (no .yaml, .yml or .json file)", dir)
	}
	return files, nil
}

func readBounded(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxFileBytes {
		return nil, fmt.Errorf("%s is larger than %d MiB, which no CloudFormation template is", p, maxFileBytes>>20)
	}
	return body, nil
}
