"""The ``taawun`` command: run the demo, found a co-op, serve, and Django's own commands."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from taawun.domain.policy import STANDARD_CLASS_NAMES


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taawun.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def _serve(bind: str, workers: int) -> None:
    """Serve with gunicorn (static files through whitenoise)."""
    from django.db import connections
    from gunicorn.app.wsgiapp import run

    connections.close_all()  # each server process opens its own; none may share this one

    sys.argv = [
        "gunicorn",
        "taawun.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--config",
        "python:taawun.serving",
    ]
    run()


def demo(args: argparse.Namespace) -> None:
    # The demo's processes all run here: they share the data version through memory.
    os.environ.setdefault("TAAWUN_DATA_VERSION_ON_HOST", "true")
    _django()
    from taawun.coop.selectors import get_coop

    _manage("migrate", "--verbosity", "0")
    if get_coop() is None:
        from taawun.demo import create_demo

        print("Creating the demo co-op…", flush=True)
        create_demo()
    from taawun.demo import DEMO_DOMAIN, DEMO_PASSWORD

    print(
        f"\nTaawun demo: http://{args.bind}/\n"
        f"  founder and board: amal@{DEMO_DOMAIN} / {DEMO_PASSWORD}\n"
        f"  a member:          salma@{DEMO_DOMAIN} / {DEMO_PASSWORD}\n",
        flush=True,
    )
    if not args.no_serve:
        _serve(args.bind, args.workers)


def serve(args: argparse.Namespace) -> None:
    _django()
    if args.migrate:
        _manage("migrate", "--verbosity", "0")
    _serve(args.bind, args.workers)


def _class_spec(text: str) -> dict[str, object]:
    """``key:price:instalments[:interval_days][:novote]`` → a member-class document."""
    parts = text.split(":")
    if len(parts) < 3:
        raise argparse.ArgumentTypeError("use key:share_price:instalments[:interval_days][:novote]")
    key, price, instalments, *rest = parts
    name = STANDARD_CLASS_NAMES.get(key, {"ar": key, "en": key})
    spec: dict[str, object] = {
        "key": key,
        "name": name,
        "share_price": price,
        "instalments": int(instalments),
        "votes": "novote" not in rest,
        "works": key == "worker",
    }
    numbers = [r for r in rest if r.isdecimal()]
    if numbers:
        spec["instalment_interval_days"] = int(numbers[0])
    return spec


def init(args: argparse.Namespace) -> None:
    """Found a co-op from the command line (the founding page does the same in a browser)."""
    _django()
    _manage("migrate", "--verbosity", "0")
    from taawun.coop.actions import found_coop
    from taawun.domain.errors import DomainError
    from taawun.domain.policy import founding_policy

    password = args.founder_password or os.environ.get("TAAWUN_FOUNDER_PASSWORD")
    if not password:
        password = getpass.getpass("Founder's password: ")
    try:
        policy = founding_policy(
            currency=args.currency,
            classes=args.member_class or [_class_spec("worker:100:1")],
            languages=tuple(args.languages.split(",")),
            admission_by=args.admission_by,
        )
        found_coop(
            name_ar=args.name_ar,
            name_en=args.name_en,
            handle=args.handle,
            city=args.city,
            policy=policy,
            founder_email=args.founder_email,
            founder_name=args.founder_name,
            founder_password=password,
            founder_class=args.founder_class,
        )
    except DomainError as exc:
        sys.exit(f"taawun init: {exc}")
    print(f"Founded {args.name_en} ({args.handle}).")


def manage(args: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taawun.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["taawun manage", *args.rest])


def verify(args: argparse.Namespace) -> None:
    """Check a co-op's transparency log; needs no database and no Django."""
    from taawun.verifier import main as verifier_main

    sys.exit(verifier_main(args.verifier_args))


def backup(args: argparse.Namespace) -> None:
    """Write the whole co-op into one archive while the site keeps running."""
    _django()
    from taawun.backup import BackupError
    from taawun.backup import backup as write_archive

    try:
        path = write_archive(args.output, with_keys=args.with_keys, progress=sys.stderr)
    except BackupError as exc:
        sys.exit(f"taawun backup: {exc}")
    print(path)


def restore(args: argparse.Namespace) -> None:
    """Restore an archive into an empty database and audit the restored log."""
    _django()
    from taawun.backup import BackupError
    from taawun.backup import restore as read_archive

    try:
        done = read_archive(args.file, progress=sys.stderr)
    except BackupError as exc:
        sys.exit(f"taawun restore: {exc}")
    print(f"Restored {done.coop}: {done.rows} rows in {done.tables} tables, {done.media} files.")
    print(f"Log head: {done.log_size} entries, root {done.log_root} (audited; as in the archive)")
    if not done.keys:
        print(
            "The archive holds no keys: bring SECRET_KEY, the log signing key and the "
            "federation key from the old installation before serving.",
            file=sys.stderr,
        )


def check_deploy(args: argparse.Namespace) -> None:
    """Django's deployment checks and Taawun's own; exits non-zero on any error or warning."""
    _django()
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        call_command("check", deploy=True, fail_level="WARNING")
    except SystemCheckError as problems:
        print(problems, file=sys.stderr)
        sys.exit(1)


def worker(args: argparse.Namespace) -> None:
    """A Celery worker running the background round (``TAAWUN_BACKGROUND=celery``)."""
    _django()
    from taawun.celery import app

    argv = ["worker", "--loglevel", args.loglevel, "--concurrency", str(args.concurrency)]
    if args.beat:
        argv.append("--beat")
    app.worker_main(argv)


def beat(args: argparse.Namespace) -> None:
    """Celery beat: the clock that asks the workers for a round (one per co-op)."""
    _django()
    from taawun.celery import app

    app.start(["beat", "--loglevel", args.loglevel])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="taawun", description="A worker-owned co-op platform.")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("demo", help="create a demo co-op (first run) and serve it")
    p.add_argument("--bind", default="127.0.0.1:8000")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--no-serve", action="store_true", help="only create the demo data")
    p.set_defaults(func=demo)

    p = commands.add_parser("serve", help="serve the platform with gunicorn")
    p.add_argument("--bind", default="127.0.0.1:8000")
    p.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 1) * 2))
    p.add_argument("--migrate", action="store_true", help="apply database migrations first")
    p.set_defaults(func=serve)

    p = commands.add_parser("init", help="found a co-op")
    p.add_argument("--name-ar", required=True)
    p.add_argument("--name-en", required=True)
    p.add_argument("--handle", required=True)
    p.add_argument("--city", default="")
    p.add_argument("--currency", default="ILS")
    p.add_argument("--languages", default="ar,en")
    p.add_argument("--admission-by", choices=["board", "vote"], default="board")
    p.add_argument(
        "--member-class",
        type=_class_spec,
        action="append",
        help="key:share_price:instalments[:interval_days][:novote]; repeatable",
    )
    p.add_argument("--founder-email", required=True)
    p.add_argument("--founder-name", required=True)
    p.add_argument("--founder-class", default="worker")
    p.add_argument("--founder-password", help="or TAAWUN_FOUNDER_PASSWORD, or asked for")
    p.set_defaults(func=init)

    p = commands.add_parser(
        "verify", help="check a co-op's transparency log (taawun verify --help)", add_help=False
    )
    p.set_defaults(func=verify)

    p = commands.add_parser("backup", help="write the whole co-op into one archive")
    p.add_argument("--output", type=Path, help="the archive's path (or a directory for it)")
    p.add_argument(
        "--with-keys", action="store_true", help="include the key files of the data directory"
    )
    p.set_defaults(func=backup)

    p = commands.add_parser("restore", help="restore an archive into an empty database")
    p.add_argument("file", type=Path)
    p.set_defaults(func=restore)

    p = commands.add_parser("check-deploy", help="report misconfiguration for production")
    p.set_defaults(func=check_deploy)

    p = commands.add_parser("worker", help="run a Celery worker for the background work")
    p.add_argument("--beat", action="store_true", help="also keep the clock (one per co-op)")
    p.add_argument("--concurrency", type=int, default=2)
    p.add_argument("--loglevel", default="INFO")
    p.set_defaults(func=worker)

    p = commands.add_parser("beat", help="run the clock of the background work (one per co-op)")
    p.add_argument("--loglevel", default="INFO")
    p.set_defaults(func=beat)

    p = commands.add_parser("manage", help="run a Django management command")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=manage)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "verify":
        args.verifier_args = extra  # the verifier parses its own options
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.func(args)


if __name__ == "__main__":
    main()
