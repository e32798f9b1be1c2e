"""Everything torch: networks, losses, training, data simulation, metrics, chunked inference.

Never imports Qt or `app`.
"""
