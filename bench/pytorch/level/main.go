package main

import (
	"fmt"

	"github.com/hessrnn/hessrnn/kernels"
)

func main() {
	fmt.Printf("%s (detected %s)\n", kernels.Active(), kernels.Detected())
}
