module github.com/hessrnn/hessrnn/bench/fmapeak

go 1.24.0
