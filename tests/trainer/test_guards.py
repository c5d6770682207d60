import numpy as np

from trainer.guards import rss_bytes


def test_it_reads_this_processs_resident_memory_as_it_grows():
    before = rss_bytes()
    block = np.ones(100 * 2**20, dtype=np.uint8)  # touched, so resident
    after = rss_bytes()
    assert before > 0 and after - before >= 80 * 2**20
    del block
