"""The ``assistant`` command: a thin layer of argument parsing over the library."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import AssistantError, InvalidQuestion

if TYPE_CHECKING:  # the library is imported by each command, so `assistant --help` starts fast
    from .models import Answer
    from .pipeline import Assistant
    from .settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    from .settings import Settings

    return Settings.load().with_overrides(
        index_dir=args.index_dir,
        corpus_dir=args.corpus_dir,
        chroma_url=args.chroma_url,
        embedder=args.embedder,
        top_k=args.top_k,
        backend=args.backend,
        llm_model=args.model,
        openai_base_url=args.base_url,
        second_reader=args.second_reader,
    )


def cmd_ingest(args: argparse.Namespace) -> int:
    from .indexing.ingest import indexed_documents, ingest

    settings = _settings(args)
    paths = [Path(p) for p in args.paths] or None
    if args.if_empty and (held := indexed_documents(settings)):
        print(
            f"The index already holds {held} document{'s' if held != 1 else ''}; serving those. "
            f"To index another folder: assistant ingest FOLDER (or make run CORPUS=FOLDER).",
            file=sys.stderr,
        )
        return 0
    report = ingest(
        settings,
        paths,
        rebuild=args.rebuild,
        progress=False if args.quiet else None,
        allow_empty=args.allow_empty,
        announce=lambda notice: print(notice, file=sys.stderr, flush=True),
    )
    for err in report.failed:
        print(f"skipped {err.doc_id}: {err.reason}", file=sys.stderr)
    calibrated = _calibrate(settings, report.chunks_total, quiet=args.quiet or args.json)
    if args.json:
        print(json.dumps(report.to_json() | ({"calibration_seconds": calibrated} if calibrated is not None else {})))
        return 1 if report.failed and not (report.added or report.updated or report.unchanged) else 0
    print(
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
        f"{len(report.removed)} removed, {len(report.failed)} failed; "
        f"{report.chunks_embedded} chunks embedded, {report.chunks_total} in the index "
        f"({report.seconds:.2f} s)"
    )
    return 1 if report.failed and not (report.added or report.updated or report.unchanged) else 0


def _calibrate(settings: Settings, chunks: int, quiet: bool) -> float | None:
    """A corpus larger than the fitted ones gets its relevance threshold measured now, not at the
    first question; returns the seconds it took. In this process: with embedded Chroma it
    already holds the graph the ingest built, which a child would load a second copy of (the
    machine then held 856 MB at once at 113,780 chunks; in-process the peak is 494 MB)."""
    import time

    from .pipeline import calibrate, needs_calibration

    if not chunks or not needs_calibration(settings, chunks):
        return None
    if not quiet:
        print(f"measuring the relevance threshold for {chunks} chunks…", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        calibrate(settings)
    except Exception as exc:  # the ingest itself succeeded; the first question will measure it
        print(f"note: the relevance threshold will be measured at the first question ({exc})", file=sys.stderr)
    return round(time.perf_counter() - started, 3)


MAX_HISTORY_FILE = 1 << 20  # a conversation is a few kilobytes; /dev/zero is not one


def _read_history(path: str | None) -> list[dict[str, str]]:
    from .inputs import is_history, parse_json

    if not path:
        return []
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_HISTORY_FILE + 1)
    except OSError as exc:
        raise InvalidQuestion(f"Cannot read the history file {path}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_HISTORY_FILE:
        raise InvalidQuestion(f"The history file {path} is larger than {MAX_HISTORY_FILE // 1024} KiB.")
    data = parse_json(raw, f"The history file {path}")
    if not is_history(data, roles=("user", "assistant", "system")):
        raise InvalidQuestion(
            f'The history file {path} must hold a JSON list of {{"role": "user"|"assistant", "content": "..."}}.'
        )
    return data  # type: ignore[return-value]


def cmd_ask(args: argparse.Namespace) -> int:
    from .pipeline import Assistant

    history = _read_history(args.history)
    assistant = Assistant(_settings(args))
    if args.json:
        print(json.dumps(assistant.ask(args.question, history).to_json(), ensure_ascii=False, indent=2))
        return 0
    _print_answer(*_ask_streaming(assistant, args.question, history, stream=not args.no_stream))
    return 0


def _ask_streaming(
    assistant: Assistant, question: str, history: list[dict[str, str]], stream: bool
) -> tuple[Answer, str]:
    """Ask, printing the model's draft as it arrives; returns the answer and the draft shown."""
    shown: list[str] = []

    def on_token(piece: str) -> None:
        shown.append(piece)
        print(piece, end="", flush=True)

    answer = assistant.ask(question, history, on_token if stream else None)
    if shown:
        print()
    return answer, "".join(shown)


def _print_answer(answer: Answer, draft: str = "") -> None:
    from .answering.composed import UNCONFIRMED_LABEL, segments

    if answer.standalone_question:
        print(f"(understood as: {answer.standalone_question})")
    for notice in answer.notices:
        print(f"note: {notice}")
    marked = "".join(
        f"{piece} ({UNCONFIRMED_LABEL})" if unconfirmed else piece
        for piece, unconfirmed in segments(answer.answer, answer.sentences)
    )
    if draft and draft.strip() != marked.strip():
        print("\nAfter checking every sentence against its sources:")
    if not draft or draft.strip() != marked.strip():
        print(marked)
    if answer.citations:
        print("\nSources:")
        for c in answer.citations:
            where = c.title or c.doc_id
            print(f"  [{c.n}] {where} ({c.doc_id}, chars {c.start}-{c.end})")
            print(f"      “{_one_line(c.quote)}”")


def cmd_chat(args: argparse.Namespace) -> int:
    """A terminal conversation: follow-ups see the earlier turns."""
    from .pipeline import Assistant

    assistant = Assistant(_settings(args))
    history: list[dict[str, str]] = []
    print("Ask about the Istanbul talks articles. Empty line or Ctrl-D to quit.")
    while True:
        try:
            question = input("\n> ")
        except EOFError:
            return 0
        if not question.strip():
            return 0
        try:
            answer, draft = _ask_streaming(assistant, question, history, stream=True)
        except InvalidQuestion as exc:
            print(f"error: {exc.message}")
            continue
        _print_answer(answer, draft)
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]


def cmd_eval(args: argparse.Namespace) -> int:
    from .evals.runner import EvalOptions, run

    options = EvalOptions(update_baseline=args.update_baseline, suites=args.suite or [])
    for name in ("golden", "floors", "baseline"):
        if getattr(args, name):
            setattr(options, name, Path(getattr(args, name)))
    if args.report:
        options.report_dir = Path(args.report)
    return run(_settings(args), options)


def cmd_fit(args: argparse.Namespace) -> int:
    if args.addressed:
        from .evals.addressed_fit import WEIGHTS_FILE
        from .evals.addressed_fit import fit as fit_addressed

        fit_addressed(write=Path(args.output) if args.output else WEIGHTS_FILE)
        return 0
    if args.claims:
        from .evals.claim_fit import THRESHOLDS_FILE
        from .evals.claim_fit import fit as fit_claims

        fit_claims(_settings(args), write=Path(args.output) if args.output else THRESHOLDS_FILE)
        return 0
    if args.leave_one_out:
        from .evals.transfer import leave_one_out

        leave_one_out(_settings(args))
        return 0
    from .evals.fit import fit

    fit(_settings(args), validate=not args.no_validation, write=Path(args.output) if args.output else None)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .web.app import serve

    settings = _settings(args).with_overrides(
        host=args.host,
        port=args.port,
        root_path=args.root_path,
        sites_file=args.sites,
        workers=args.workers,
        redis_url=args.redis_url,
        watch=args.watch,
    )
    serve(settings)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run

    if args.ui:
        from .web.bench_ui import run as run_ui

        result: dict[str, Any] = run_ui(_settings(args), runs=args.runs)
    elif args.scale:
        from .bench_scale import run as run_scale

        result = run_scale(_settings(args), args.scale, Path(args.scale_dir), runs=args.runs)
    elif args.serving_only:
        from .bench_scale import serving

        result = serving(_settings(args), runs=args.runs)
    elif args.server_only:
        from .bench_scale import server

        settings = _settings(args)
        env = {**os.environ, "ASSISTANT_INDEX_DIR": str(settings.index_dir)}
        if settings.chroma_url:
            env["ASSISTANT_CHROMA_URL"] = settings.chroma_url
        result = server(env, runs=args.runs)
    else:
        result = run(_settings(args), runs=args.runs, copies=args.copies)
    print(json.dumps(result, indent=2))
    return 0


def _one_line(text: str) -> str:
    return " ".join(text.split())


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index-dir", help="index folder (env ASSISTANT_INDEX_DIR, default index/)")
    common.add_argument("--corpus-dir", help="default corpus (env ASSISTANT_CORPUS_DIR, default seeds/)")
    common.add_argument("--chroma-url", help="Chroma server URL (env ASSISTANT_CHROMA_URL)")
    common.add_argument("--embedder", choices=["wordllama", "openai"], help="env ASSISTANT_EMBEDDER")
    common.add_argument("--top-k", type=int, help="chunks retrieved per question (env ASSISTANT_TOP_K)")
    common.add_argument("--backend", choices=["auto", "extractive", "openai"], help="env ASSISTANT_BACKEND")
    common.add_argument("--model", help="chat model at the endpoint (env ASSISTANT_LLM_MODEL)")
    common.add_argument("--base-url", help="OpenAI-compatible endpoint (env OPENAI_BASE_URL)")
    common.add_argument(
        "--no-second-reader",
        dest="second_reader",
        action="store_false",
        default=None,
        help="do not ask the model again about unconfirmed sentences (env ASSISTANT_SECOND_READER=false)",
    )
    common.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")

    parser = argparse.ArgumentParser(prog="assistant", description="Cited answers about the Istanbul talks articles.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", parents=[common], help="build or update the index")
    p.add_argument("paths", nargs="*", help="files or folders (default: the corpus folder)")
    p.add_argument("--rebuild", action="store_true", help="start a fresh index (e.g. after changing embedder)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--allow-empty", action="store_true", help="let an ingest of no documents empty the index")
    p.add_argument("--json", action="store_true", help="print what was done as one JSON object")
    p.add_argument(
        "--if-empty", action="store_true", help="only when the index holds no documents (never replace a user's)"
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", parents=[common], help="ask a question")
    p.add_argument("question")
    p.add_argument("--history", help='JSON file: [{"role": "user"|"assistant", "content": "..."}, ...]')
    p.add_argument("--json", action="store_true", help="print the full answer object")
    p.add_argument("--no-stream", action="store_true", help="print the answer only when it is complete")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", parents=[common], help="a conversation in the terminal")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("serve", parents=[common], help="serve the chat page, the API and the widget")
    p.add_argument("--host", help="address to listen on (env ASSISTANT_HOST, default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (env ASSISTANT_PORT, default 7860)")
    p.add_argument("--root-path", help="URL prefix behind a reverse proxy (env ASSISTANT_ROOT_PATH)")
    p.add_argument("--sites", help="TOML file of sites allowed to embed the widget (env ASSISTANT_SITES_FILE)")
    p.add_argument("--workers", type=int, help="server processes on the port (env ASSISTANT_WORKERS, default 1)")
    p.add_argument("--redis-url", help="Redis for shared rate limits and panel keys (env ASSISTANT_REDIS_URL)")
    p.add_argument(
        "--watch", action="store_true", default=None,
        help="ingest the corpus folder again whenever a file in it changes (env ASSISTANT_WATCH)",
    )  # fmt: skip
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", parents=[common], help="run the golden Q&A set and gate on it")
    p.add_argument("--suite", action="append", help="run this suite of evals/suites.toml (repeatable; default all)")
    p.add_argument("--golden", help="run one golden file against the configured index instead of the suites")
    p.add_argument("--report", help="report folder (default evals/reports)")
    p.add_argument("--floors", help="metric floors (default evals/floors.toml)")
    p.add_argument("--baseline", help="per-case baseline (default evals/baseline.json)")
    p.add_argument("--update-baseline", action="store_true", help="write the baseline from this run")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser(
        "fit", parents=[common], help="refit the answerer's weights from evals/squad (needs scikit-learn)"
    )
    p.add_argument("--no-validation", action="store_true", help="skip the figures on the validation articles")
    p.add_argument("--output", help="where to write the weights (default: the package's weights.json)")
    p.add_argument(
        "--leave-one-out",
        action="store_true",
        help="measure transfer instead: fit on nine SQuAD articles, test on the tenth, for each (writes nothing)",
    )
    p.add_argument(
        "--claims",
        action="store_true",
        help="fit only the LLM claim check's confirm and drop thresholds (writes answering/claim_check.json)",
    )
    p.add_argument(
        "--addressed",
        action="store_true",
        help="fit only the detector of sentences addressed to an assistant (writes answering/addressed.json)",
    )
    p.set_defaults(func=cmd_fit)

    p = sub.add_parser("bench", parents=[common], help="measure ingest and answer speed")
    p.add_argument("--runs", type=int, default=5, help="repetitions per measurement")
    p.add_argument("--copies", type=int, default=50, help="copies of the corpus for the throughput run")
    p.add_argument(
        "--scale",
        type=int,
        metavar="CHUNKS",
        help="instead: build a realistic corpus of about CHUNKS chunks and "
        "time ingest, re-ingest, one changed document, cold start and serving, each as its own process",
    )
    p.add_argument("--scale-dir", default="evals/.cache/scale", help="where --scale keeps its corpus and index")
    p.add_argument("--serving-only", action="store_true", help="only time retrieval and answers on the index")
    p.add_argument(
        "--server-only", action="store_true", help="only start `assistant serve` on the index, ask through its API"
    )
    p.add_argument("--ui", action="store_true", help="time Enter → first token → answer in chromium")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except AssistantError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `assistant eval | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback for the user, unless asked for
        if getattr(args, "debug", False):
            raise
        print(
            f"error: unexpected failure: {type(exc).__name__}: {exc} (rerun with --debug for details)", file=sys.stderr
        )
        return 70


if __name__ == "__main__":
    sys.exit(main())
