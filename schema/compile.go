package schema

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/xeipuuv/gojsonschema"
)

// compiled is one extension schema, parsed and compiled.
type compiled struct {
	name   string
	raw    map[string]any // the schema document, to find allowed keys and messages
	schema *gojsonschema.Schema
}

// lazySchema is one schema file, compiled the first time a block needs it:
// a one-service render uses two or three of the files, and compiling all
// of them was most of its time after process start.
type lazySchema struct {
	once sync.Once
	c    *compiled
	err  error
}

var (
	lazySchemas  = map[string]*lazySchema{}
	compileCount atomic.Int32 // schema files compiled so far (tests: each once)
)

func init() {
	for _, name := range FileNames() {
		lazySchemas[name] = &lazySchema{}
	}
}

// schemaFile returns the compiled schema file name, compiling it once per
// process.
func schemaFile(name string) (*compiled, error) {
	l, ok := lazySchemas[name]
	if !ok {
		return nil, fmt.Errorf("no schema file %s", name)
	}
	l.once.Do(func() {
		compileCount.Add(1)
		l.c, l.err = compileFile(name)
	})
	return l.c, l.err
}

func compileFile(name string) (*compiled, error) {
	data, err := File(name)
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("schema %s: %v", name, err)
	}
	s, err := gojsonschema.NewSchema(gojsonschema.NewGoLoader(raw))
	if err != nil {
		return nil, fmt.Errorf("schema %s: %v", name, err)
	}
	return &compiled{name: name, raw: raw, schema: s}, nil
}
