"""CLI hooks: ``serve`` and ``token create|revoke|list``.

Wire into the main CLI with ``add_subcommands(subparsers)``; every subcommand sets
``func`` and is called as ``args.func(args)`` returning an exit code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging.config
import sys
from pathlib import Path

from triage.api.settings import Settings, default_data_dir


def _data_dir_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, default=None,
                   help=f"service data directory (database, uploads); default $TRIAGE_DATA_DIR or {default_data_dir()}")


def add_subcommands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``serve`` and ``token`` on an argparse subparsers object."""
    p = subparsers.add_parser("serve", help="run the clinician web service (FastAPI/uvicorn)",
                              description="Run the clinician service. Settings not given as options "
                                          "come from TRIAGE_* environment variables (docs/api.md).")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1: loopback only)")
    p.add_argument("--port", type=int, default=8000)
    _data_dir_arg(p)
    # SUPPRESS: do not clobber a --hpo-dir given to the parent `triage` parser
    p.add_argument("--hpo-dir", type=Path, default=argparse.SUPPRESS,
                   help="HPO release directory (default: vendored or $TRIAGE_HPO_DIR)")
    p.add_argument("--config", type=Path, default=None, dest="config_file",
                   help="workflow config YAML whose phenotype.model sets the model parameters "
                        "(default: code defaults or $TRIAGE_CONFIG_FILE)")
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (each loads the engine)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(func=serve_main)

    t = subparsers.add_parser("token", help="manage API bearer tokens")
    tsub = t.add_subparsers(dest="token_command", required=True)
    c = tsub.add_parser("create", help="create a token; prints it once")
    c.add_argument("name", help="who or what the token is for (e.g. a clinician or a LIMS)")
    _data_dir_arg(c)
    c.set_defaults(func=token_create_main)
    r = tsub.add_parser("revoke", help="revoke a token by id")
    r.add_argument("id", help="token id (see `token list`)")
    _data_dir_arg(r)
    r.set_defaults(func=token_revoke_main)
    ls = tsub.add_parser("list", help="list tokens (ids and names, never secrets)")
    _data_dir_arg(ls)
    ls.set_defaults(func=token_list_main)


def _settings(args: argparse.Namespace) -> Settings:
    over = {}
    if getattr(args, "data_dir", None) is not None:
        over["data_dir"] = args.data_dir
    if getattr(args, "hpo_dir", None) is not None:
        over["hpo_dir"] = args.hpo_dir
    if getattr(args, "config_file", None) is not None:
        over["config_file"] = args.config_file
    return Settings.from_env(**over)


def serve_main(args: argparse.Namespace) -> int:
    from triage.api.server import ServeOptions, serve, uvicorn_log_config
    from triage.errors import TriageError
    from triage.prioritize.config import PipelineConfig

    try:
        settings = _settings(args)
        if settings.config_file:  # fail fast, before any worker starts
            PipelineConfig.from_file(settings.config_file)
    except (ValueError, TriageError) as exc:
        print(f"triage serve: {exc}", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("triage serve: --workers must be >= 1", file=sys.stderr)
        return 2
    logging.config.dictConfig(uvicorn_log_config(args.log_level))  # the supervisor's own messages
    # Worker processes build their app from the environment (uvicorn factory).
    return serve(ServeOptions(host=args.host, port=args.port, workers=args.workers, log_level=args.log_level),
                 settings.to_env())


def _tokens(args: argparse.Namespace):
    from triage.api.auth import TokenStore
    from triage.api.storage import Storage

    return TokenStore(Storage(_settings(args).data_dir))


def token_create_main(args: argparse.Namespace) -> int:
    store = _tokens(args)
    try:
        plaintext = store.create_token(args.name)
    except ValueError as exc:
        print(f"triage token create: {exc}", file=sys.stderr)
        return 2
    print(f"token id {store.token_id(plaintext)} ({args.name}); shown once, store it safely:", file=sys.stderr)
    print(plaintext)
    return 0


def token_revoke_main(args: argparse.Namespace) -> int:
    if _tokens(args).revoke_token(args.id):
        print(f"revoked token {args.id}")
        return 0
    print(f"triage token revoke: no live token with id {args.id!r}", file=sys.stderr)
    return 1


def token_list_main(args: argparse.Namespace) -> int:
    tokens = _tokens(args).list_tokens()
    if not tokens:
        print("no tokens")
        return 0
    for t in tokens:
        created = dt.datetime.fromtimestamp(t.created_at).strftime("%Y-%m-%d %H:%M")
        state = "revoked " + dt.datetime.fromtimestamp(t.revoked_at).strftime("%Y-%m-%d %H:%M") \
            if t.revoked_at else "active"
        print(f"{t.id}\t{state}\t{created}\t{t.name}")
    return 0
