// Package standard links every store type Latchkey ships. Import it for its
// side effect; an embedder who needs only some stores imports those
// provider packages instead, and does not link the others' SDKs.
package standard

import (
	_ "github.com/latchkey/latchkey/providers/aws"   // type "aws"
	_ "github.com/latchkey/latchkey/providers/azure" // type "azure"
	_ "github.com/latchkey/latchkey/providers/env"   // type "env"
	_ "github.com/latchkey/latchkey/providers/gcp"   // type "gcp"
	_ "github.com/latchkey/latchkey/providers/wasm"  // type "wasm"
)
