"""Set C: a study of CNNs on MNIST (C1-C5 and the theory items CT).

One module per question, each with its `Config`, runs, summary and figures:

- `c1_c2_deep`: the deep network and its linear counterpart (C1, C2).
- `c3_small_networks`: the smallest networks that keep 95 % (C3).
- `c4_overfitting`: over-fitting with 250 examples (C4).
- `c5_pairs`: the sum of two digits (C5).
- `ct_theory`: the numbers of the theory items (CT3, CT4).
- `report`: the summaries and figures of C1-C3 and CT from stored runs.
"""
