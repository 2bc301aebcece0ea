module github.com/hessrnn/hessrnn/asm

go 1.24

require github.com/mmcloughlin/avo v0.6.0 // indirect
