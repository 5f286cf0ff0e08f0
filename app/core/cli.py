"""What every domain's commands share: `--as USERNAME`, which runs the
command as that CareTrail user (their roles for the rules, their name in
the audit); without it a command acts as the system (the operator).  A
refusal of the rules is the command's one line on stderr and exit status 1."""

import functools
import sys

import click
from flask import current_app

from app.core.actor import SYSTEM, Actor, acting_as
from app.core.errors import CareTrailError


def acting_user_option(command):
    """Adds --as USERNAME and runs the command as that user."""

    @click.option("--as", "acting_username", default="system", show_default=True, help="act as this CareTrail user")
    @functools.wraps(command)
    def wrapper(*args, acting_username: str, **kwargs):
        actor = SYSTEM
        if acting_username != "system":
            user = current_app.appbuilder.sm.find_user(username=acting_username)
            if user is None:
                raise click.BadParameter(f"no CareTrail user named {acting_username!r}", param_hint="--as")
            actor = Actor.of(user)
            current_app.appbuilder.session.rollback()  # the lookup's transaction had no actor yet
        with acting_as(actor):
            try:
                return command(*args, **kwargs)
            except CareTrailError as refused:
                click.echo(f"Refused: {refused.message}", err=True)
                sys.exit(1)

    return wrapper
