package render

// Tracing is the family's trace collector: x-xray sets it (the X-Ray daemon
// or the CloudWatch agent), and proxies that emit spans (the Envoy sidecar)
// read it to send theirs to the same place.
type Tracing struct {
	// Container is the collector's container name; the senders start after it.
	Container string
	// XRayAddress is where X-Ray segments go over UDP, e.g. 127.0.0.1:2000.
	XRayAddress string
	// OTLPEndpoint is the collector's OTLP/HTTP endpoint, or "" when it
	// receives X-Ray segments only (the daemon).
	OTLPEndpoint string
}
