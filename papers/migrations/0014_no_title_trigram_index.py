from django.db import migrations

# The titles' trigram index served "closest titles" when they were looked
# for among all titles. They are now looked for among the titles holding
# the corrected words, found by `paper_title_vector`, and no query reads
# this index (none of a whole benchmark run at a million papers did), while
# every import wrote to it: building it took 12 s of a million-paper load,
# and it held 215 MB.


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0013_no_redundant_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="paper",
            name="paper_title_trgm",
        ),
    ]
