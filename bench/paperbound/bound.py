"""Lower bound of the seqMNIST part of `hessrnn run paper --scale paper`.

Usage: python3 bound.py plan.csv [EVAL_EVERY]

plan.csv lists the 533 planned seqMNIST runs (260 reporting + 273
selection) with the settings their cost depends on, one row per run: the
runs of every seqMNIST item of PaperScale("paper") as Lookup(e).Plan gives
them (deduplicated by run ID, Table 1's early-stopped BPTT phase added as
PlanCount adds it), and for every selection key the 7 rates × 3 seeds of
selectionRun, resolved (config.Run.Resolve), at commit 9b8eaaf. It counts
the floating-point work per run and prints the bound at 100 % of the fp64
FMA peak of two cores and at the rates measured in BENCHMARKS.md ("Whole
paper: the lower bound"). EVAL_EVERY (default 1) is the train.eval_every
of the reporting runs whose plan row has none (0): 4 since seqMNIST's
default became config.SeqMNISTEvalEvery (the training split at every 4th
checkpoint and the last).
"""
import csv, sys
B, T, In, N, Out = 256, 28, 28, 128, 10
TRAIN_EVAL, TEST, VAL = 55000, 10000, 5000
HVP = 6 * 2 * N * N * (T - 1) * B          # six N×N×(T−1)B products
N_LAMBDA, N_TOP10, N_TOP200, N_FLAT = 9, 35, 565, 200
PEAK = 88.6e9                               # fp64 FMA peak of one core (bench/fmapeak, quiet)
CORES = 2
# measured rates, GFLOP/s of CPU time on one core (this section's runs, loaded machine)
RATE = {"train_bptt": 35e9, "train_bio": 45e9, "eval": 30e9, "hvp": 35e9, "grad": 35e9}

fwd_seq = 2*T*In*N + 2*(T-1)*N*N + 2*N*Out
FWD = B * fwd_seq
REC = 2*(T-1)*B*N*N
BPTT = FWD + 2*REC + 2*T*B*N*In + 2*B*N*Out + 2*B*Out*N
TAIL = 2*B*Out*N + 2*B*Out*N + 2*B*N*N + 2*B*N*In
EPROP = FWD + TAIL
MDGL = EPROP + 2*B*N*N + 2*B*N*N + 2*B*N*In
def tbptt(K):
    return BPTT if K >= T else FWD + 4*B*Out*N + 2*(K-1)*B*N*N + 2*K*B*N*N + 2*K*B*N*In
def step(rule, K):
    return {"bptt": BPTT, "three-factor": EPROP, "rf-three-factor": EPROP, "mdgl": MDGL,
            "three-factor-theory": BPTT + TAIL, "tbptt": tbptt(K)}[rule]

def cost(r, train_eval=TRAIN_EVAL):
    """FLOPs of run r by category."""
    it, every, rule, K = int(r["iters"]), int(r["every"]), r["rule"], int(r["trunck"] or 0)
    ncp = it // every + 1
    c = {"hvp": 0, "grad": 0}
    fam = "train_bptt" if step(rule, K) > 2 * FWD else "train_bio"
    c[fam] = it * step(rule, K)
    if r["scoreonly"] == "true":
        # a score-only selection run: one checkpoint, the last (training
        # and test sets), then the validation loss; no curvature
        c["eval"] = (train_eval + TEST + VAL) * fwd_seq
        return c
    # the training split at every k-th checkpoint and the last
    # (train.eval_every), the test set at the last (train.test_at = end),
    # the validation loss at the end
    k = int(r["evalevery"] or 0) or EVAL_EVERY
    nev = len([i for i in range(ncp) if i % k == 0 or i == ncp - 1])
    c["eval"] = (nev * train_eval + TEST + VAL) * fwd_seq
    if r["kind"] == "table1-phase2":   # the test set on the early-stopping grid
        c["eval"] += it // int(r["stopevery"]) * TEST * fwd_seq
    lam = N_TOP10 if int(r["alignk"]) else N_LAMBDA
    c["hvp"] = (ncp * lam + 4 * N_LAMBDA) * HVP
    c["grad"] = (ncp + 4 + 1) * BPTT + (0 if rule == "bptt" else (ncp - 1) * BPTT)
    if int(r["topk"]) or r["flat"] == "True":
        c["grad"] += BPTT
        c["hvp"] += ((N_TOP200 if int(r["topk"]) else 0) + (N_FLAT if r["flat"] == "True" else 0)) * HVP
    return c

def total(rows, keep=lambda r: 1.0, **kw):
    t = {}
    for r in rows:
        w = keep(r)
        for k, v in cost(r, **kw).items():
            t[k] = t.get(k, 0) + w * v
    return t

def hours(t, f32=False, measured=False):
    s = 0
    for k, v in t.items():
        speed = 2 if f32 and k != "hvp" and k != "grad" else 1
        s += v / ((RATE[k] if measured else PEAK) * speed)
    return s / CORES / 3600

EVAL_EVERY = int(sys.argv[2]) if len(sys.argv) > 2 else 1
rows = list(csv.DictReader(open(sys.argv[1])))
rep = [r for r in rows if r["kind"] != "selection"]
sel = [r for r in rows if r["kind"] == "selection"]
print(f"step MFLOP: BPTT {BPTT/1e6:.1f}, e-prop/RFLO {EPROP/1e6:.1f}, MDGL {MDGL/1e6:.1f}, Three-factor theory {(BPTT+TAIL)/1e6:.1f}, "
      + ", ".join(f"TBPTT({k}) {tbptt(k)/1e6:.1f}" for k in (1, 2, 4, 8)) + f"; forward {fwd_seq/1e6:.3f} MFLOP/sequence; HVP {HVP/1e9:.3f} GFLOP")
print(f"runs: {len(rep)} reporting + {len(sel)} selection")
t = total(rows)
S = sum(t.values())
print("| part | PFLOP | share |")
for k in ("train_bptt", "train_bio", "eval", "hvp", "grad"):
    print(f"| {k} | {t[k]/1e15:.3f} | {100*t[k]/S:.1f} % |")
print(f"| total | {S/1e15:.3f} | |")
# the selection grid is the 7-rate spec grid on 3 seeds: 21 runs per key, 3 per rate
def no_div(r):  # lower bound: selection runs at the 3 largest rates diverge at once; table1's early stop at once
    if r["kind"] == "selection":
        return 4 / 7
    if r["kind"] == "table1-phase2":
        return 0
    return 1
def scen(name, t):
    S = sum(t.values())
    print(f"| {name} | {S/1e15:.2f} | {hours(t):.2f} | {hours(t, measured=True):.2f} | {hours(t, f32=True):.2f} |")
print("| scenario | PFLOP | h at 100 % fp64 peak, 2 cores | h at measured rates | h at 100 % peak, fp32 training+eval |")
scen("as planned, every run to its full budget", total(rows))
lb = total(rows, keep=no_div)
scen("lower bound: selection at η ≥ 1e-2 diverges at once, Table 1's early stop at once", lb)
scen("… and 5 reporting seeds (the paper's), 1 selection seed", total(rows, keep=lambda r: no_div(r) * (0.5 if r["kind"] != "selection" else 1/3)))
scen("… and 10 000 training sequences per checkpoint evaluation", total(rows, keep=lambda r: no_div(r) * (0.5 if r["kind"] != "selection" else 1/3), train_eval=10000))
scen("… and a third of the iterations", {k: v/3 for k, v in total(rows, keep=lambda r: no_div(r) * (0.5 if r["kind"] != "selection" else 1/3), train_eval=10000).items()})
