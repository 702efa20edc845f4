package aws_test

import (
	"fmt"

	"github.com/latchkey/latchkey/providers/aws"
)

func ExampleSelectVersion() {
	for _, v := range []string{"", "AWSPREVIOUS", "a1b2c3d4-5678-90ab-cdef-1234567890ab", "stage:a1b2c3d4-5678-90ab-cdef-1234567890ab", "id:my-own-client-request-token-0001"} {
		id, stage, _ := aws.SelectVersion(v)
		fmt.Printf("%q -> VersionId %q, VersionStage %q\n", v, id, stage)
	}
	// Output:
	// "" -> VersionId "", VersionStage ""
	// "AWSPREVIOUS" -> VersionId "", VersionStage "AWSPREVIOUS"
	// "a1b2c3d4-5678-90ab-cdef-1234567890ab" -> VersionId "a1b2c3d4-5678-90ab-cdef-1234567890ab", VersionStage ""
	// "stage:a1b2c3d4-5678-90ab-cdef-1234567890ab" -> VersionId "", VersionStage "a1b2c3d4-5678-90ab-cdef-1234567890ab"
	// "id:my-own-client-request-token-0001" -> VersionId "my-own-client-request-token-0001", VersionStage ""
}
