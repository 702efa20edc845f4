package hostfuncs

import (
	"net/netip"

	"github.com/latchkey/latchkey/internal/egress"
)

// MetadataAddresses returns the cloud-metadata addresses the host refuses
// unless [HTTPOptions].AllowMetadata lists them. IPv4 addresses embedded
// in IPv6 ones (mapped, NAT64, 6to4) count as the address they reach.
func MetadataAddresses() []netip.Prefix { return egress.MetadataAddresses() }
