"""README's "Layout" draws the tree as it is, README stays short, and the paths README and docs/
name (links and `code` spans) exist."""

from __future__ import annotations

import re

from tests.support import REPO

README = REPO / "README.md"
DOCS = [README, *sorted((REPO / "docs").glob("*.md"))]
NAME_COLUMN = 28  # a line indented this far continues the description above it
PACKAGES_UNDER = ("orchestration", "data_quality", "demo_org", "bench", "tests")
# a file or folder named in a description: `swap.py`, `floor.sql`, `api/`, `tests/generic/`
NAMED = re.compile(r"(?<![\w/.<'])((?:[\w-]+/)*[\w-]+\.(?:py|sql)|(?:[\w-]+/)+)(?![\w/])")


def _layout_block() -> list[str]:
    text = README.read_text()
    section = text[text.index("## Layout\n"):]
    return section.split("```\n")[1].splitlines()


def layout_entries(lines: list[str]) -> list[tuple[str, str, str]]:
    """(path drawn, the folder it sits in, its description) for each name a layout block draws,
    each joined to the folders it is drawn under; a continuation line adds to the description."""
    entries, parents = [], {}  # indentation -> the folder drawn at it
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        if not line.strip():
            continue
        if indent >= NAME_COLUMN:
            entries[-1] = (*entries[-1][:2], entries[-1][2] + " " + line.strip())
            continue
        names, _, description = re.sub(r"\s{2,}", "\0", line.strip(), count=1).partition("\0")
        parents = {level: folder for level, folder in parents.items() if level < indent}
        folder = "".join(parents[level] for level in sorted(parents))
        for name in names.split(" "):
            entries.append((folder + name, folder, description.strip()))
        if names.endswith("/"):
            parents[indent] = names
    return entries


def layout_paths(lines: list[str]) -> set[str]:
    return {path for path, _, _ in layout_entries(lines)}


def _packages() -> set[str]:
    found = set()
    for top in PACKAGES_UNDER:
        found |= {f"{init.parent.relative_to(REPO)}/" for init in (REPO / top).rglob("__init__.py")}
    return found


def test_a_layout_line_under_a_folder_names_a_path_inside_it():
    lines = ["pkg/          what it is", "  sub/        inside", "    a.py b.py  two modules",
             "                            a continued description", "  c.py        back one level", "top/  x"]
    assert layout_paths(lines) == {"pkg/", "pkg/sub/", "pkg/sub/a.py", "pkg/sub/b.py", "pkg/c.py", "top/"}
    assert layout_entries(lines)[3] == ("pkg/sub/b.py", "pkg/sub/", "two modules a continued description")


def test_every_path_the_readme_layout_draws_exists():
    missing = sorted(path for path in layout_paths(_layout_block()) if not (REPO / path).exists())
    assert missing == []


def test_every_file_or_folder_a_layout_description_names_exists_beside_it_or_from_the_top():
    missing = []
    for path, folder, description in layout_entries(_layout_block()):
        here = path if path.endswith("/") else folder
        for named in NAMED.findall(description):
            if not (REPO / here / named).exists() and not (REPO / named).exists():
                missing.append(f"{path}: {named}")
    assert missing == []


def test_the_readme_layout_draws_every_package_and_every_module_at_the_top_of_orchestration():
    drawn = layout_paths(_layout_block())
    # Drawn down to each stage of defs/; a package deeper than that is described by its parent.
    packages = {package for package in _packages()
                if not package.startswith("tests/") and (package.count("/") <= 2 or package.startswith("orchestration/defs/"))}
    top_modules = {f"orchestration/{path.name}" for path in (REPO / "orchestration").glob("*.py")
                   if path.name != "__init__.py"}
    assert sorted(packages - drawn) == []
    assert sorted(top_modules - drawn) == []


def test_the_readme_layout_names_every_folder_of_tests():
    [(_, _, described)] = [entry for entry in layout_entries(_layout_block()) if entry[0] == "tests/"]
    folders = {path.name for path in (REPO / "tests").iterdir() if path.is_dir() and not path.name.startswith((".", "_"))}
    assert sorted(name for name in folders if f"{name}/" not in described) == []


def test_the_readme_stays_at_most_about_250_lines():
    assert len(README.read_text().splitlines()) <= 250


def test_every_relative_link_in_the_readme_and_docs_points_at_a_file_that_exists():
    broken = []
    for page in DOCS:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" not in target and not target.startswith("mailto:") and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO)} -> {target}")
    assert broken == []


def test_every_repository_path_the_readme_and_docs_quote_exists():
    """A `code` span that starts at a folder of the repository (`tests/...`, `orchestration/...`)
    names a file or folder there; `*` matches as in a shell."""
    tops = {*PACKAGES_UNDER, "dbt_project", "docs", "examples"}  # not the state folders a run leaves
    missing = []
    for page in DOCS:
        for span in re.findall(r"`([^`\s]+)`", page.read_text()):
            path = span.rstrip(".,:;)")
            if "/" not in path or path.split("/")[0] not in tops or re.search(r"[<>{}$]", path):
                continue
            if not list(REPO.glob(path.rstrip("/"))):
                missing.append(f"{page.relative_to(REPO)}: {span}")
    assert missing == []
