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

var (
	compileOnce  sync.Once
	compiledSet  map[string]*compiled
	compileErr   error
	compileCount atomic.Int32 // how many times the schemas were compiled (tests: once)
)

// schemas compiles every embedded extension schema, once per process.
func schemas() (map[string]*compiled, error) {
	compileOnce.Do(func() {
		compileCount.Add(1)
		set := map[string]*compiled{}
		for _, name := range FileNames() {
			c, err := compileFile(name)
			if err != nil {
				compileErr = err
				return
			}
			set[name] = c
		}
		compiledSet = set
	})
	return compiledSet, compileErr
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
