package egress

import "net/url"

// CheckURL reports whether the client's allow list admits u's scheme, host
// and port, as it would for a request's first hop, without making one: nil,
// or a [*Refusal] saying why not. The address the name resolves to is
// checked only when connecting.
func (c *Client) CheckURL(u *url.URL) error {
	if r := c.checkURL(u); r != nil {
		return r
	}
	return nil
}
