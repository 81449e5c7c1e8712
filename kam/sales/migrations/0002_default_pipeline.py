"""Install the default pipeline (the seed's work cycle), so a fresh install has it."""

from django.db import migrations

from kam.sales.defaults import DEFAULT_PIPELINE_NAME, stage_rows


def create_default_pipeline(apps, schema_editor):
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    if Pipeline.objects.filter(is_default=True, deleted_at__isnull=True).exists():
        return
    pipeline = Pipeline.objects.create(
        name=DEFAULT_PIPELINE_NAME,
        description="The account manager's work cycle, from a new lead to a won or lost deal.",
        is_default=True,
    )
    Stage.objects.bulk_create(Stage(pipeline=pipeline, **row) for row in stage_rows())


def remove_default_pipeline(apps, schema_editor):
    Pipeline = apps.get_model("sales", "Pipeline")
    Deal = apps.get_model("sales", "Deal")
    pipeline = Pipeline.objects.filter(name=DEFAULT_PIPELINE_NAME, is_default=True).first()
    if pipeline is not None and not Deal.objects.filter(pipeline=pipeline).exists():
        pipeline.stages.all().delete()
        pipeline.delete()


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(create_default_pipeline, remove_default_pipeline)]
