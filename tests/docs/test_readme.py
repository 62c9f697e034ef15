"""README's "Layout" draws the tree as it is, README stays short, and every relative link in README
and docs/ points at a file that exists."""

from __future__ import annotations

import re
import subprocess

from tests.support import REPO

README = REPO / "README.md"
NAME_COLUMN = 28  # a line indented this far continues the description above it


def _layout_block() -> list[str]:
    text = README.read_text()
    section = text[text.index("## Layout\n"):]
    return section.split("```\n")[1].splitlines()


def layout_paths(lines: list[str]) -> set[str]:
    """The paths a layout block names, each joined to the folders it is drawn under."""
    paths, parents = set(), {}  # indentation -> the folder drawn at it
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        if not line.strip() or indent >= NAME_COLUMN:
            continue
        names = re.split(r"\s{2,}", line.strip())[0].split(" ")
        prefix = "".join(parents[level] for level in sorted(parents) if level < indent)
        for name in names:
            paths.add(prefix + name)
        parents = {level: folder for level, folder in parents.items() if level < indent}
        if names[-1].endswith("/"):
            parents[indent] = names[-1]
    return paths


def _tracked_python_packages() -> set[str]:
    files = subprocess.run(["git", "ls-files", "*__init__.py"], cwd=REPO, capture_output=True, text=True,
                           check=True).stdout.split()
    return {file.rsplit("__init__.py", 1)[0] for file in files}


def test_a_layout_line_under_a_folder_names_a_path_inside_it():
    lines = ["pkg/          what it is", "  sub/        inside", "    a.py b.py  two modules",
             "                            a continued description", "  c.py        back one level", "top/  x"]
    assert layout_paths(lines) == {"pkg/", "pkg/sub/", "pkg/sub/a.py", "pkg/sub/b.py", "pkg/c.py", "top/"}


def test_every_path_the_readme_layout_names_exists():
    missing = sorted(path for path in layout_paths(_layout_block()) if not (REPO / path).exists())
    assert missing == []


def test_the_readme_layout_draws_every_package_and_every_module_at_the_top_of_orchestration():
    block = _layout_block()
    drawn = layout_paths(block)
    # Drawn down to each stage of defs/; a package deeper than that is described by its parent.
    packages = {package for package in _tracked_python_packages()
                if not package.startswith("tests/") and (package.count("/") <= 2 or package.startswith("orchestration/defs/"))}
    top_modules = {f"orchestration/{path.name}" for path in (REPO / "orchestration").glob("*.py")
                   if path.name != "__init__.py"}
    assert sorted(packages - drawn) == []
    assert sorted(top_modules - drawn) == []


def test_the_readme_layout_names_every_folder_of_tests():
    block = _layout_block()
    start = next(i for i, line in enumerate(block) if line.startswith("tests/"))
    end = next((i for i in range(start + 1, len(block)) if not block[i].startswith(" " * NAME_COLUMN)), len(block))
    described = "\n".join(block[start:end])
    folders = {path.name for path in (REPO / "tests").iterdir() if path.is_dir() and not path.name.startswith((".", "_"))}
    assert sorted(name for name in folders if f"{name}/" not in described) == []


def test_the_readme_stays_at_most_about_250_lines():
    assert len(README.read_text().splitlines()) <= 250


def test_every_relative_link_in_the_readme_and_docs_points_at_a_file_that_exists():
    broken = []
    for page in [README, *sorted((REPO / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" not in target and not target.startswith("mailto:") and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO)} -> {target}")
    assert broken == []
