package task

import (
	"testing"

	"github.com/hessrnn/hessrnn/internal/bench/paired"
)

// BenchmarkSeqMNISTTrainBatch times TrainBatch at the training shape (B =
// 256 images of 28×28 from a 60 000-image synthetic training file, float64),
// the batch assembly of every training step.
func BenchmarkSeqMNISTTrainBatch(b *testing.B) {
	data := &MNISTData{
		Train: synth(b, "train", 60000, 28, 28, func(i, p int) byte { return byte(i*7 + p*31) }),
		Test:  synth(b, "test", 1000, 28, 28, tagged),
	}
	s, err := NewSeqMNIST[float64](data, SeqMNISTConfig{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	c0 := paired.CPUTime()
	for i := 0; i < b.N; i++ {
		if _, err := s.TrainBatch(i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(paired.CPUTime()-c0)/float64(b.N)/1e6, "cpu-ms/op")
}
