from django.db import migrations

# The generation comes from a sequence, which a rollback never takes back: a number that
# a rolled-back write used (and values cached under it inside that transaction) is never
# seen again, so nothing cached can outlive the data it was computed from.
FUNCTION = """
CREATE SEQUENCE IF NOT EXISTS reports_readmodel_generation_seq;
CREATE OR REPLACE FUNCTION reports_next_generation() RETURNS trigger AS $$
BEGIN
    INSERT INTO reports_readmodelgeneration (id, number)
    VALUES (1, nextval('reports_readmodel_generation_seq'))
    ON CONFLICT (id) DO UPDATE SET number = excluded.number;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
"""
PREVIOUS = """
CREATE OR REPLACE FUNCTION reports_next_generation() RETURNS trigger AS $$
BEGIN
    INSERT INTO reports_readmodelgeneration (id, number) VALUES (1, 1)
    ON CONFLICT (id) DO UPDATE SET number = reports_readmodelgeneration.number + 1;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
DROP SEQUENCE IF EXISTS reports_readmodel_generation_seq;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_read_model_generation")]

    operations = [migrations.RunPython(forwards, backwards)]
