import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0004_reading_lists"),
    ]

    operations = [
        migrations.AddField(
            model_name="paper",
            name="last_listed",
            field=models.DateField(blank=True, db_index=True, null=True),
        ),
        migrations.RunSQL(
            """
            UPDATE papers_paper SET last_listed = newest.date
            FROM (
                SELECT entry.paper_id, max(listing.date) AS date
                FROM papers_listingentry AS entry
                JOIN papers_listing AS listing ON listing.id = entry.listing_id
                GROUP BY entry.paper_id
            ) AS newest
            WHERE newest.paper_id = papers_paper.id
            """,
            migrations.RunSQL.noop,
        ),
        migrations.AddField(
            model_name="paper",
            name="title_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.contrib.postgres.search.SearchVector(
                    "title", config="english"
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.AddIndex(
            model_name="paper",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["title_vector"], name="paper_title_vector"
            ),
        ),
    ]
