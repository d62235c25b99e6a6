#!/bin/sh
# Migrate, load the sample listing into an empty database, then run the command.
set -e
python manage.py migrate --noinput
python manage.py import_sample
exec "$@"
