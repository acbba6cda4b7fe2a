"""The leaderboard: scored JSON entries under ``leaderboards/``, and what is made of them.

entries.py checks, seals, reads and writes entries; aggregate.py summarises one
arm's runs over seeds; predictions.py writes and reads the prediction archive
shipped beside each entry; ranking.py orders them, one row per scored model (and
prints the terminal table), markdown.py and page.py render the ranked board;
comparison.py pairs two entries' predictions on the same frames (is A better
than B?); regression.py compares a fresh entry with a stored reference. The package reads data only through what its
callers hand it (fingerprints, thumbnails), so it imports nothing of
drbench.generate, drbench.protocols or drbench.detectors.
"""
