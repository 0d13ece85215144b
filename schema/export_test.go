package schema

// CompileCount tells tests how many times the schemas were compiled.
func CompileCount() int32 { return compileCount.Load() }

// Suggest exposes the did-you-mean choice to tests.
var Suggest = suggest
