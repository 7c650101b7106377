"""Training tools: the NFS renderer's trainer and the source material it and the benchmarks share.

Layer 4, like the command line: it may import every stage, and no stage imports it.
"""
