"""What every domain's commands share: `--as USERNAME`, which runs the
command as that CareTrail user (their roles for the rules, their name in
the audit); without it a command acts as the system (the operator).  The
user's delegations in force apply as they would to a request, and
`--on-behalf-of DR_X` acts for Dr X under one (app/security/delegation.py).
A refusal of the rules is the command's one line on stderr and exit status 1."""

import functools
import sys

import click
from flask import current_app

from app.core.actor import SYSTEM, acting_as
from app.core.errors import CareTrailError


def acting_user_option(command):
    """Adds --as USERNAME and runs the command as that user."""

    @click.option("--as", "acting_username", default="system", show_default=True, help="act as this CareTrail user")
    @click.option(
        "--on-behalf-of", "on_behalf_of", default=None, help="act for this user under a delegation in force (with --as)"
    )
    @functools.wraps(command)
    def wrapper(*args, acting_username: str, on_behalf_of: str | None, **kwargs):
        actor = SYSTEM
        if acting_username != "system":
            sm = current_app.appbuilder.sm
            user = sm.find_user(username=acting_username)
            if user is None:
                raise click.BadParameter(f"no CareTrail user named {acting_username!r}", param_hint="--as")
            try:
                actor = sm.actor_for(user, on_behalf_of)
            except CareTrailError as refused:
                raise click.BadParameter(refused.message, param_hint="--on-behalf-of") from refused
            current_app.appbuilder.session.rollback()  # the lookup's transaction had no actor yet
        elif on_behalf_of:
            raise click.BadParameter("acting for someone needs --as", param_hint="--on-behalf-of")
        with acting_as(actor):
            try:
                return command(*args, **kwargs)
            except CareTrailError as refused:
                click.echo(f"Refused: {refused.message}", err=True)
                sys.exit(1)

    return wrapper
