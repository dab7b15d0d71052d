"""`manage.py generate_queue --entries N [--lists K]`: synthetic applicants in the queue, for benchmarks.

Creates N registered, active places (plus about 3% historical housed ones) spread over K new lists of the
synthetic provider "bench" (CONTRACT.md; queues.services.synthetic says what each row holds). A second run
refuses unless --append is given: the queue log refuses DELETE, so synthetic data is added to, never replaced.
"""

from django.core.management.base import BaseCommand, CommandError

from queues.services.synthetic import GenerationError, generate


def _count(name: str, value):
    if value is None:
        return None
    try:
        number = int(str(value).replace("_", ""))
    except ValueError:
        raise CommandError(f"{name} must be a whole number, not {value!r}") from None
    if number <= 0:
        raise CommandError(f"{name} must be a positive number, not {number}")
    return number


class Command(BaseCommand):
    help = ("Bulk-create N synthetic applicants with active queue entries spread over K new lists (default 20) "
            "of the synthetic provider 'bench'; fast on PostgreSQL (COPY).")

    def add_arguments(self, parser):
        parser.add_argument("--entries", metavar="N", help="active places to create (required)")
        parser.add_argument("--lists", metavar="K", default="20", help="new lists to spread them over (default 20)")
        parser.add_argument("--long-list", metavar="S", default=None,
                            help="make the first list exactly S places long and spread the rest over the others")
        parser.add_argument("--append", action="store_true",
                            help="add new lists beside synthetic data that already exists")
        parser.add_argument("--seed", default="2008", help="random seed (same seed, same names and times)")
        parser.add_argument("--workers", default="2", help="processes building rows beside the loader (PostgreSQL)")

    def handle(self, *args, **options):
        if options["entries"] is None:
            raise CommandError("--entries N is required")
        entries = _count("--entries", options["entries"])
        lists = _count("--lists", options["lists"])
        long_list = _count("--long-list", options["long_list"])
        seed = _count("--seed", options["seed"])
        workers = _count("--workers", options["workers"])
        verbose = options["verbosity"] > 1
        try:
            summary = generate(entries, lists, long_list=long_list, append=options["append"], seed=seed,
                               workers=workers, log=self.stdout.write if verbose else (lambda message: None))
        except GenerationError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"generated {summary.entries} active entries (+{summary.housed} housed in past years) "
            f"in {len(summary.lists)} lists ({summary.lists[0]}..{summary.lists[-1]}) "
            f"on {summary.vendor} in {summary.seconds:.1f} s"
        )
        if verbose:
            self.stdout.write("timings: " + ", ".join(f"{k} {v} s" for k, v in summary.timings.items()))
