"""What a prediction keeps: every box down to a tiny score, at most 100 per image.

Detection benchmarks predict this way so AP sees the whole PR curve: a weakly
trained model still has its low-scoring true positives counted. The detector
configs' test settings say the same (``score_thr=0.001``, ``max_per_img=100``).
"""

SCORE_THRESHOLD = 0.001
MAX_PER_IMAGE = 100
