"""The documentation keeps up with the code. docs/cli.md names every command of ``qa`` and, in that command's
section, every option with its help text; README.md stays a front door (at most 15 KB, naming the two commands);
every relative link in README.md and docs/ points at a file that exists, and at a heading there when it names
one; docs/README.md lists every page; every file in bench/results/ is linked from some page. No model, no index:
this runs in a second."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from qa.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
CLI_DOC = DOCS / "cli.md"
RESULTS = ROOT / "bench" / "results"
#: The README's hard limit, in bytes (15 KB read strictly: 15,000, not 15,360).
README_LIMIT = 15_000
TWO_COMMANDS = ("./dev.sh serve", "./dev.sh test")


def squeezed(text: str) -> str:
    """``text`` without any white space: help text wrapped by argparse (which breaks lines after hyphens too)
    still matches the one-line help string."""
    return "".join(text.split())


# --- the command line ----------------------------------------------------------------------------------------


def subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser, str | None]]:
    """(name, parser, its one-line help) for every subcommand of ``parser``."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            found += [(name, sub, helps.get(name)) for name, sub in action.choices.items()]
    return found


def help_text(action: argparse.Action, parser: argparse.ArgumentParser) -> str | None:
    """The option's help as ``--help`` prints it: ``%(default)s`` and the like expanded, ``%%`` read as ``%``."""
    text = action.help
    if text is None or text == argparse.SUPPRESS:
        return None
    if "%" in text:
        text = text % {**vars(action), "prog": parser.prog}
    return text


def options() -> list[tuple[str, argparse.Action, argparse.ArgumentParser]]:
    """(command, action, its parser) for every option and positional argument of every command, -h/--help
    left out."""
    found = []
    for name, sub, _ in subcommands(build_parser()):
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            found.append((name, action, sub))
    return found


def option_id(item) -> str:
    name, action, _ = item
    return f"{name} {'/'.join(action.option_strings) or action.metavar or action.dest}"


def cli_doc() -> str:
    return CLI_DOC.read_text(encoding="utf-8")


def section(text: str, command: str) -> str | None:
    """The part of docs/cli.md under the first heading that names ``qa <command>``, up to the next heading of the
    same or a higher level."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        heading = re.match(r"(#+)\s", line)
        if heading and re.search(rf"\bqa {re.escape(command)}\b", line):
            level = len(heading.group(1))
            end = next((j for j in range(i + 1, len(lines))
                        if (m := re.match(r"(#+)\s", lines[j])) and len(m.group(1)) <= level), len(lines))
            return "\n".join(lines[i:end])
    return None


COMMANDS = subcommands(build_parser())
OPTIONS = options()


@pytest.mark.parametrize("name, parser, summary", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_cli_doc_has_every_command(name, parser, summary):
    text = cli_doc()
    assert section(text, name) is not None, f"docs/cli.md has no heading naming `qa {name}`"
    if summary:
        assert squeezed(summary) in squeezed(text), f"docs/cli.md lacks the help of `qa {name}`: {summary!r}"


@pytest.mark.parametrize("name, action, parser", OPTIONS, ids=[option_id(o) for o in OPTIONS])
def test_cli_doc_has_every_option_with_its_help(name, action, parser):
    part = section(cli_doc(), name)
    assert part is not None, f"docs/cli.md has no heading naming `qa {name}`"
    if action.option_strings:
        for option in action.option_strings:
            assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", part), \
                f"the `qa {name}` section of docs/cli.md does not name {option}"
    else:
        shown = action.metavar or action.dest
        assert re.search(rf"\b{re.escape(shown)}\b", part), \
            f"the `qa {name}` section of docs/cli.md does not name its argument {shown}"
    text = help_text(action, parser)
    if text:
        assert squeezed(text) in squeezed(part), \
            f"the `qa {name}` section of docs/cli.md lacks the help of {option_id((name, action, parser))}: {text!r}"


# --- the README ------------------------------------------------------------------------------------------------


def test_readme_is_a_front_door():
    size = README.stat().st_size
    assert size <= README_LIMIT, f"README.md is {size:,} bytes; the limit is {README_LIMIT:,}: move detail to docs/"
    text = README.read_text(encoding="utf-8")
    for command in TWO_COMMANDS:
        assert command in text, f"README.md does not name {command}"


# --- links -----------------------------------------------------------------------------------------------------

PAGES = [README, *sorted(DOCS.glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def prose(page: Path) -> str:
    """``page`` without its fenced code blocks."""
    return re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)


def links(page: Path) -> list[str]:
    """The targets of the Markdown links of ``page``, code (fenced blocks and `spans`) left out."""
    return LINK.findall(re.sub(r"`[^`\n]*`", "", prose(page)))


def anchors(page: Path) -> set[str]:
    """The anchors GitHub makes of ``page``'s headings: lower case, punctuation dropped, spaces as hyphens, a
    repeated one numbered."""
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", prose(page), flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        seen[slug] = seen.get(slug, -1) + 1
        if seen[slug]:
            seen[f"{slug}-{seen[slug]}"] = 0
    return set(seen)


def local_target(page: Path, target: str) -> Path | None:
    """The file a relative link points at; None for a URL (any scheme) or an anchor in the page itself."""
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", target) or target.startswith("#"):
        return None
    path = unquote(target.split("#", 1)[0].split("?", 1)[0])
    return (page.parent / path).resolve()


def linked_files() -> set[Path]:
    return {t for page in PAGES for target in links(page) if (t := local_target(page, target)) is not None}


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_relative_links_point_at_files(page):
    broken = [target for target in links(page)
              if (path := local_target(page, target)) is not None and not path.exists()]
    assert not broken, f"{page.relative_to(ROOT)} links to files that do not exist: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_anchors_point_at_headings(page):
    broken = []
    for target in links(page):
        if "#" not in target or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", target):
            continue
        path, anchor = target.split("#", 1)
        linked = local_target(page, path) if path else page
        if linked.suffix == ".md" and linked.exists() and unquote(anchor) not in anchors(linked):
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)} links to headings that do not exist: {broken}"


def test_docs_index_lists_every_page():
    index = DOCS / "README.md"
    listed = {local_target(index, t) for t in links(index)}
    missing = [p.name for p in sorted(DOCS.glob("*.md")) if p != index and p.resolve() not in listed]
    assert not missing, f"docs/README.md does not link {missing}"


RESULT_FILES = sorted(p for p in RESULTS.glob("*") if p.is_file() and not p.name.startswith(".")) \
    if RESULTS.is_dir() else []


@pytest.mark.parametrize("result", RESULT_FILES, ids=[p.name for p in RESULT_FILES])
def test_every_bench_result_is_linked(result):
    assert result.resolve() in linked_files(), \
        f"bench/results/{result.name} is linked from no page (README.md or docs/*.md)"
