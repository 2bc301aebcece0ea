//go:build !unix

package paired

import "time"

// CPUTime returns 0: this system has no getrusage, and CPU-time metrics
// are not reported.
func CPUTime() time.Duration { return 0 }
