package shapes

import "testing"

func TestGemmLayout(t *testing.T) {
	for _, tc := range []struct {
		g                    Gemm
		name                 string
		lda, ldb, lenA, lenB int
	}{
		{Gemm{false, false, 2, 3, 5}, "op=NN/m=2/n=3/k=5", 5, 3, 10, 15},
		{Gemm{false, true, 2, 3, 5}, "op=NT/m=2/n=3/k=5", 5, 5, 10, 15},
		{Gemm{true, false, 2, 3, 5}, "op=TN/m=2/n=3/k=5", 2, 3, 10, 15},
		{Gemm{true, true, 2, 3, 5}, "op=TT/m=2/n=3/k=5", 2, 5, 10, 15},
	} {
		lda, ldb, la, lb := tc.g.Layout()
		if tc.g.Name() != tc.name || lda != tc.lda || ldb != tc.ldb || la != tc.lenA || lb != tc.lenB {
			t.Errorf("%+v: %s %d %d %d %d, want %s %d %d %d %d", tc.g, tc.g.Name(), lda, ldb, la, lb, tc.name, tc.lda, tc.ldb, tc.lenA, tc.lenB)
		}
	}
	if f := (Gemm{M: 2, N: 3, K: 5}).Flops(); f != 60 {
		t.Errorf("Flops = %v, want 60", f)
	}
}
