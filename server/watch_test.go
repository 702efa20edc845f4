package server

import (
	"fmt"
	"testing"

	"github.com/latchkey/latchkey/resolver"
)

// TestWatchStatesPerCaller: a caller that piles up tokens (for as many
// workflows) pushes out only its own, never another caller's, and a token
// is found only by the caller and for the workflow it was issued to.
func TestWatchStatesPerCaller(t *testing.T) {
	var ws watchStates
	snap := &resolver.Snapshot{}
	ws.put("victim", "wf", "v-token", snap)
	for i := range 10 * maxWatchStatesPerCaller {
		ws.put("flooder", fmt.Sprintf("wf-%d", i), fmt.Sprintf("f-%d", i), snap)
	}
	if _, ok := ws.get("victim", "wf", "v-token"); !ok {
		t.Error("another caller's flood pushed out the victim's token")
	}
	if _, ok := ws.get("flooder", "wf", "v-token"); ok {
		t.Error("a token was found for a caller it was not issued to")
	}
	mine := 0
	for _, st := range ws.m {
		if st.owner == "flooder" {
			mine++
		}
	}
	if mine > maxWatchStatesPerCaller {
		t.Errorf("one caller holds %d states; want at most %d", mine, maxWatchStatesPerCaller)
	}
	if _, ok := ws.get("victim", "another workflow", "v-token"); ok {
		t.Error("a token was found for a workflow it was not issued for")
	}
	last := 10*maxWatchStatesPerCaller - 1
	if _, ok := ws.get("flooder", fmt.Sprintf("wf-%d", last), fmt.Sprintf("f-%d", last)); !ok {
		t.Error("the flooder's newest token was forgotten")
	}
}
