"""The school's search against a naive LIKE scan, side by side in one run
(``.venv/bin/python benchmarks/bench_search.py``).

Indexes PAGES generated pages through ``taawun.school.search.index``: Arabic and English from a
fixed seed, words drawn from a small common vocabulary (often-used words far more often, Arabic
sometimes written with diacritics or with ال / وال / بال joined) and a long tail of rare ones.
Then, for a few queries, the median time of ``search()`` (ranked, the first 20) against a scan
of the same normalised text with ``LIKE '%term%'`` for every term (a copy of the index in a plain
table, the first 20 by kind and ref), and the ratio. Both find their rows in the same words;
LIKE also matches inside words, hence its larger counts.

SQLite in a temporary directory by default; ``--postgres`` uses a fresh PostgreSQL database
(``BENCH_PG_ADMIN``, as the other benchmarks).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import string
import sys
import tempfile
import time
from collections.abc import Callable
from functools import cache, partial
from itertools import accumulate
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from taawun.domain.arabic import terms  # noqa: E402

DB_NAME = "taawun_bench_search"
ARABIC_WORDS = (
    "جمعية تعاونية أعضاء عضو حسابات ختامية اجتماع تصويت قرار ميزانية فائض توزيع عائد حصة أسهم"
    " مجلس إدارة لجنة رقابة تقرير سنوي عمل عامل أجر ساعة طلب خدمة توصيل تنظيف صيانة مشروع"
    " زبون سعر رسوم صندوق تضامن تدريب درس دورة مكتبة معرفة مشاركة قاعدة نظام سياسة تعديل"
    " اقتراح نقاش رأي أغلبية نصاب مدينة حي سوق منتج مخزون فاتورة دفعة حساب بنك قرض ادخار"
)
ENGLISH_WORDS = (
    "the of and to a in is for members coop cooperative work worker share shares vote votes"
    " meeting board annual budget surplus dividend report policy rule rules fee fees price"
    " order delivery cleaning repair project customer fund solidarity training lesson course"
    " library knowledge page decision majority quorum proposal city market product stock"
    " invoice payment account bank loan savings assembly committee audit member hours wage"
)
ARABIC, ENGLISH = ARABIC_WORDS.split(), ENGLISH_WORDS.split()
TASHKEEL = "\u064e\u064f\u0650\u0651\u0652"
ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
TAIL = 30_000


def vocabulary(rng: random.Random, common: list[str], letters: str) -> list[str]:
    """``common`` then TAIL made-up words: ranked, the most used first."""
    tail = ["".join(rng.choices(letters, k=rng.randint(4, 9))) for _ in range(TAIL)]
    return common + tail


def arabic_word(rng: random.Random, word: str) -> str:
    """``word`` as people write it: now and then with the article or a conjunction joined, and
    now and then with diacritics."""
    roll = rng.random()
    if roll < 0.35:
        word = "ال" + word
    elif roll < 0.45:
        word = rng.choice(("وال", "بال", "لل")) + word
    if rng.random() < 0.1:
        word = "".join(letter + rng.choice(TASHKEEL) for letter in word)
    return word


def text(rng: random.Random, words: int, ranked: list[str], arabic: bool) -> str:
    """``words`` words drawn as natural text draws them (Zipf's law: the word of rank r about
    1/r as often as the first)."""
    chosen = rng.choices(ranked, cum_weights=zipf_cumulative(len(ranked)), k=words)
    if arabic:
        chosen = [arabic_word(rng, word) for word in chosen]
    return " ".join(chosen)


@cache
def zipf_cumulative(count: int) -> list[float]:
    return list(accumulate(1 / rank for rank in range(1, count + 1)))


def pages(count: int, seed: int) -> tuple[list[tuple[str, str, str]], dict[str, list[str]]]:
    """``count`` pages as (language, title, body), about three Arabic for two English, and the
    ranked words of each language."""
    rng = random.Random(seed)
    ranked = {
        "ar": vocabulary(rng, ARABIC, ARABIC_LETTERS),
        "en": vocabulary(rng, ENGLISH, string.ascii_lowercase),
    }
    made = []
    for _ in range(count):
        language = "ar" if rng.random() < 0.6 else "en"
        title = text(rng, rng.randint(3, 7), ranked[language], language == "ar")
        body = text(rng, rng.randint(120, 400), ranked[language], language == "ar")
        made.append((language, title, body))
    return made, ranked


def setup_sqlite(directory: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'search.sqlite3'}"
    os.environ["TAAWUN_DATA_DIR"] = str(directory)
    os.environ["DJANGO_SETTINGS_MODULE"] = "taawun.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load(made: list[tuple[str, str, str]]) -> float:
    """Index every page through ``search.index`` in one transaction; the seconds it took."""
    from django.db import connection, transaction

    from taawun.school.search import index

    started = time.perf_counter()
    with transaction.atomic():
        for ref, (language, title, body) in enumerate(made, start=1):
            index("page", ref, language=language, title=title, body=body)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_plain AS SELECT kind, ref, language, heading, title, body"
            + (
                " FROM school_search"
                if connection.vendor == "postgresql"
                else " FROM school_search JOIN school_search_doc ON id = school_search.rowid"
            )
        )
    return time.perf_counter() - started


def naive(query: str) -> list[tuple[str, int]]:
    """The first 20 rows, by kind and ref, whose normalised title or body holds every term of
    ``query`` anywhere: what a LIKE scan can do without an index."""
    from django.db import connection

    words = terms(query)
    condition = " AND ".join(["(title LIKE %s OR body LIKE %s)"] * len(words))
    params = [f"%{word}%" for word in words for _ in (0, 1)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT kind, ref FROM bench_plain WHERE {condition} ORDER BY kind, ref LIMIT 20",
            params,
        )
        return cursor.fetchall()


def naive_count(query: str) -> int:
    from django.db import connection

    words = terms(query)
    condition = " AND ".join(["(title LIKE %s OR body LIKE %s)"] * len(words))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM bench_plain WHERE {condition}",
            [f"%{word}%" for word in words for _ in (0, 1)],
        )
        return int(cursor.fetchone()[0])


def median_ms(repeats: int, run: Callable[[], object]) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def queries(ranked: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(what it is, query): from words on every page to rare ones."""
    arabic, english = ranked["ar"], ranked["en"]
    return [
        ("ar, rank 1", "الجمعية"),
        ("ar, ranks 5 and 6", "الحسابات الختامية"),
        ("ar, a prefix", "تعاو"),
        ("ar, ranks 61 and 62", "قرض ادخار"),
        ("ar, rank 500", arabic[499]),
        ("ar, rank 5,000", arabic[4999]),
        ("en, rank 1", "the"),
        ("en, ranks 20 and 21", "annual budget"),
        ("en, a prefix", "coop"),
        ("en, rank 5,000", english[4999]),
    ]


def measure(
    made: list[tuple[str, str, str]], ranked: dict[str, list[str]], repeats: int, engine: str
) -> None:
    from taawun.school.search import search

    seconds = load(made)
    arabic = sum(language == "ar" for language, _, _ in made)
    words = sum(len(title.split()) + len(body.split()) for _, title, body in made)
    print(
        f"{engine}: {len(made):,} pages ({arabic:,} Arabic, {len(made) - arabic:,} English),"
        f" {words / 1e6:.1f} M words, indexed in {seconds:.1f} s (not timed below);"
        f" medians of {repeats} runs"
    )
    print(
        f"  {'words':<20} {'query':<18} {'found':>6} {'LIKE':>6} {'search ms':>10}"
        f" {'LIKE ms':>8} {'LIKE/search':>12}"
    )
    for what, query in queries(ranked):
        found = len(search(query, limit=len(made)))
        searched = median_ms(repeats, partial(search, query))
        scanned = median_ms(repeats, partial(naive, query))
        print(
            f"  {what:<20} {query:<18} {found:>6,} {naive_count(query):>6,} {searched:>10.2f}"
            f" {scanned:>8.2f} {scanned / searched:>11.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database")
    args = parser.parse_args()
    made, ranked = pages(args.pages, args.seed)
    if args.postgres:
        import database

        database.recreate(DB_NAME)
        database.setup_django(DB_NAME, data="search")
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        measure(made, ranked, args.repeats, f"PostgreSQL {version}")
        return
    with tempfile.TemporaryDirectory() as directory:
        setup_sqlite(Path(directory))
        import sqlite3

        measure(made, ranked, args.repeats, f"SQLite {sqlite3.sqlite_version}")


if __name__ == "__main__":
    main()
