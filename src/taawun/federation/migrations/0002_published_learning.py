from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('federation', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='PublishedLearning',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('course', 'course'), ('page', 'knowledge-base page')], max_length=6)),
                ('key', models.CharField(max_length=80)),
                ('object_id', models.URLField(max_length=500, unique=True)),
                ('stamp', models.CharField(blank=True, max_length=100)),
                ('digest', models.CharField(blank=True, max_length=64)),
                ('size', models.PositiveIntegerField(default=0)),
                ('too_large', models.BooleanField(default=False)),
                ('withdrawn', models.BooleanField(default=False)),
                ('updated_at', models.DateTimeField()),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('kind', 'key'), name='one_publication_per_item')],
            },
        ),
    ]
