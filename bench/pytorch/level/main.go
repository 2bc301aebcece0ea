// Command level prints the active kernels level and the detected one, for
// the benchmark tables of compare.py.
package main

import (
	"fmt"

	"github.com/hessrnn/hessrnn/kernels"
)

func main() {
	fmt.Printf("%s (detected %s)\n", kernels.Active(), kernels.Detected())
}
