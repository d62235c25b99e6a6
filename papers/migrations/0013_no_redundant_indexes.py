import django.db.models.deletion
from django.db import migrations, models

# The indexes that no query needs, dropped: the `LIKE` pattern indexes that
# `unique=True` and `db_index=True` add beside the plain ones on the arXiv
# id and the title key (nothing matches them by pattern), the date of the
# newest listing alone (`paper_newest` begins with it) and a listing's
# entries by listing alone (both of their unique constraints begin with it).
# The plain title key index and the arXiv id's unique constraint stay as
# they are; only their model declarations move to Meta.

TITLE_KEY_INDEX = "papers_paper_title_key_c8504feb"

FORWARD = f"""
DROP INDEX IF EXISTS papers_paper_arxiv_id_bba90ae4_like;
DROP INDEX IF EXISTS {TITLE_KEY_INDEX}_like;
ALTER INDEX {TITLE_KEY_INDEX} RENAME TO paper_title_key;
"""

BACKWARD = f"""
ALTER INDEX paper_title_key RENAME TO {TITLE_KEY_INDEX};
CREATE INDEX {TITLE_KEY_INDEX}_like ON papers_paper (title_key text_pattern_ops);
CREATE INDEX papers_paper_arxiv_id_bba90ae4_like ON papers_paper (arxiv_id varchar_pattern_ops);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0012_importfile_lines"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
            state_operations=[
                migrations.AlterField(
                    model_name="paper",
                    name="arxiv_id",
                    field=models.CharField(blank=True, max_length=32, null=True),
                ),
                migrations.AddConstraint(
                    model_name="paper",
                    constraint=models.UniqueConstraint(
                        fields=("arxiv_id",), name="papers_paper_arxiv_id_key"
                    ),
                ),
                migrations.AlterField(
                    model_name="paper",
                    name="title_key",
                    field=models.TextField(),
                ),
                migrations.AddIndex(
                    model_name="paper",
                    index=models.Index(fields=["title_key"], name="paper_title_key"),
                ),
            ],
        ),
        migrations.AlterField(
            model_name="paper",
            name="last_listed",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="listingentry",
            name="listing",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="entries",
                to="papers.listing",
            ),
        ),
    ]
