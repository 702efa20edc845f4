package hostfuncs

import (
	"context"

	"github.com/latchkey/latchkey/internal/egress"
)

// doOn makes one guest request of call c through cl, as the http_request
// host function does through c.HTTP.
func doOn(cl *egress.Client, ctx context.Context, c *Call, method, rawURL, rawHeader string, body []byte) (*egress.Response, int32) {
	return cl.Do(ctx, recorder{c}, method, rawURL, rawHeader, body)
}
