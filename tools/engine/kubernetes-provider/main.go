// Command pulumi-resource-kubernetes serves the Kubernetes provider. schema-embed.json and
// terraform-mapping-embed.json are copied from the provider module by tools/engine/build.py (the
// schema with its version set), as the provider's own `go generate` step does.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
