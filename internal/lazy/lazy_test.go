package lazy_test

import (
	"sync"
	"testing"

	"github.com/latchkey/latchkey/internal/lazy"
)

func TestRegexp(t *testing.T) {
	re := lazy.Regexp(`^[a-z]{1,3}$`)
	var wg sync.WaitGroup
	got := make([]bool, 8)
	for i := range got {
		wg.Go(func() { got[i] = re().MatchString("abc") && !re().MatchString("abcd") })
	}
	wg.Wait()
	for i, ok := range got {
		if !ok {
			t.Errorf("goroutine %d: the compiled pattern does not match as written", i)
		}
	}
	if first, again := re(), re(); first != again {
		t.Error("each call compiled the pattern again")
	}
}

func TestRegexpBad(t *testing.T) {
	re := lazy.Regexp(`(`)
	defer func() {
		if recover() == nil {
			t.Error("a pattern that does not compile did not panic on first use")
		}
	}()
	re()
}
