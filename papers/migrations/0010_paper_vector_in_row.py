from django.db import migrations

# Every search reads papers' search vectors: to rank its candidates, to test
# papers against the query while scanning, to check a phrase's positions.
# A vector of a typical abstract is about 2 kB, and PostgreSQL moved 99% of
# them out of the row into the TOAST table, uncompressed (they hardly
# compress), so that each read was a lookup in the TOAST index and a fetch
# of its chunks. Stored MAIN, a vector stays in the row while the row fits
# toast_tuple_target; a row above it has its abstract moved out first (only
# the 25 rows on a page read it). Measured on 100,000 papers: ranking 400
# candidates 2.0 -> 0.8 ms, a scan for the first 151 matches of
# `transformer` 1.6 -> 0.4 ms. Rows written before this migration keep their
# layout until rewritten (`VACUUM FULL papers_paper`, or a fresh import).
FORWARD = """
ALTER TABLE papers_paper ALTER COLUMN search_vector SET STORAGE MAIN;
ALTER TABLE papers_paper SET (toast_tuple_target = 4096);
"""
BACKWARD = """
ALTER TABLE papers_paper ALTER COLUMN search_vector SET STORAGE EXTENDED;
ALTER TABLE papers_paper RESET (toast_tuple_target);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0009_paper_published_index"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
