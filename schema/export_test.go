package schema

// CompileCount tells tests how many schema files were compiled so far.
func CompileCount() int32 { return compileCount.Load() }

// CompileSchemaFile compiles (once) the schema file name, for tests.
func CompileSchemaFile(name string) error { _, err := schemaFile(name); return err }

// Suggest exposes the did-you-mean choice to tests.
var Suggest = suggest
