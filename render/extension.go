package render

// Extension is one x- block of the compose file: it validates its own input
// and then adds what it means to the model. Extensions never reach into each
// other's data; where two meet, the model offers a shared place.
type Extension interface {
	// Name identifies the extension in messages, e.g. "x-scaling".
	Name() string
	// ServiceKeys and ProjectKeys are the x- keys it handles under a service
	// and at the top level; every other x- key is reported as unhandled.
	ServiceKeys() []string
	ProjectKeys() []string
	// Validate checks the extension's input and reports every problem; it
	// runs for all extensions before any of them extends the model.
	Validate(in *Input) Diagnostics
	// Extend adds the extension's containers, policies and resources.
	Extend(in *Input, m *Model) Diagnostics
}
