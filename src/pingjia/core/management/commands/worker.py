from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey


class Command(RunHuey):
    help = ("Run a background worker: it takes tasks from the queue (SQLite file, or Redis when "
            "REDIS_URL is set) and, unless --no-periodic, enqueues the periodic ones. Run as many "
            "as needed on as many machines; periodic tasks are idempotent, so several "
            "schedulers only repeat work, but one or two are enough (--no-periodic on the rest).")
