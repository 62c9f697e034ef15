"""Great Expectations Data Docs for every validation the pipeline runs (`$CRM_KPI_HOME/data_docs/`).

A person reads one page per table and run, rendered when the run ends: the chunks a big table was
validated in are merged into one result first (counts added up, a short sample of failing values
kept, the full row lists left out so a page stays small). The results themselves are kept in a filesystem store (`store_dir`),
because GX's index page reads them back; the newest `KEEP_RUNS` runs of each suite are kept.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import great_expectations as gx
from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import DataContextConfig, FilesystemStoreBackendDefaults
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

SITE = "crm_kpi"
KEEP_RUNS = 30
SAMPLE_VALUES = 20
_COUNTS = ("element_count", "missing_count", "unexpected_count")


def _share(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _merge_expectation(chunks: list[ExpectationValidationResult]) -> ExpectationValidationResult:
    counts = {key: sum(chunk.result.get(key) or 0 for chunk in chunks) for key in _COUNTS}
    sample = [value for chunk in chunks for value in chunk.result.get("partial_unexpected_list") or []]
    sample = sample[:SAMPLE_VALUES]
    non_missing = counts["element_count"] - counts["missing_count"]
    failed = next((chunk for chunk in chunks if chunk.exception_info.get("raised_exception")), chunks[0])
    return ExpectationValidationResult(
        success=all(chunk.success for chunk in chunks),
        expectation_config=chunks[0].expectation_config,
        result={
            **counts,
            "missing_percent": _share(counts["missing_count"], counts["element_count"]),
            "unexpected_percent": _share(counts["unexpected_count"], non_missing),
            "unexpected_percent_total": _share(counts["unexpected_count"], counts["element_count"]),
            "unexpected_percent_nonmissing": _share(counts["unexpected_count"], non_missing),
            "partial_unexpected_list": sample,
            "partial_unexpected_counts": [{"value": value, "count": count}
                                          for value, count in Counter(map(repr, sample)).most_common()],
        },
        exception_info=failed.exception_info,
        meta=chunks[0].meta,
    )


def merge_chunk_results(suite_name: str, chunks: list[ExpectationSuiteValidationResult],
                        meta: dict) -> ExpectationSuiteValidationResult:
    """One suite result for a table validated in chunks: per expectation, the counts over all chunks."""
    by_rule: dict[str, list[ExpectationValidationResult]] = {}
    for chunk in chunks:
        for result in chunk.results:
            by_rule.setdefault(result.expectation_config.meta["rule"], []).append(result)
    results = [_merge_expectation(parts) for parts in by_rule.values()]
    passed = sum(result.success for result in results)
    return ExpectationSuiteValidationResult(
        success=passed == len(results),
        results=results,
        suite_name=suite_name,
        statistics={"evaluated_expectations": len(results), "successful_expectations": passed,
                    "unsuccessful_expectations": len(results) - passed,
                    "success_percent": _share(passed, len(results))},
        meta=meta,
    )


def _context(site_dir: Path, store_dir: Path):
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    config = DataContextConfig(
        store_backend_defaults=FilesystemStoreBackendDefaults(root_directory=str(store_dir)),
        data_docs_sites={SITE: site},
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _prune(context) -> None:
    """Keep the newest `KEEP_RUNS` results of each suite."""
    store = context.validation_results_store
    by_suite: dict[str, list[ValidationResultIdentifier]] = {}
    for key in store.list_keys():
        by_suite.setdefault(key.expectation_suite_identifier.name, []).append(key)
    for keys in by_suite.values():
        for key in sorted(keys, key=lambda key: key.run_id.run_time, reverse=True)[KEEP_RUNS:]:
            store.remove_key(key)


def _page(site_dir: Path, key: ValidationResultIdentifier) -> Path:
    """Where GE's site builder writes the page of `key` (its key's parts as folders), worked out
    here: asking GE for it costs more than rendering the page."""
    *folders, batch = key.to_tuple()
    return site_dir.joinpath("validations", *folders, f"{batch}.html")


def store_result(site_dir: Path, store_dir: Path, suite: gx.ExpectationSuite,
                 result: ExpectationSuiteValidationResult, run_name: str, batch: str) -> Path:
    """Store `result` and its suite; return where the result's page will be. The pages of a run are
    rendered together when it ends (`build_site`): rendered one validation at a time, the site
    builder's set-up took most of a run's Data Docs time."""
    context = _context(site_dir, store_dir)
    context.suites.add_or_update(suite)
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
        run_id=RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.timezone.utc)),
        batch_identifier=batch,
    )
    context.validation_results_store.set(key, result)
    return _page(site_dir, key)


def build_site(site_dir: Path, store_dir: Path) -> Path | None:
    """Drop all but the newest `KEEP_RUNS` results of each suite, then render every stored result
    that has no page yet (the runs that ended since the last build), their suites, and the site's
    `index.html`; called once a run has ended, whatever its outcome.
    None when nothing was ever validated here."""
    if not store_dir.is_dir():
        return None
    context = _context(site_dir, store_dir)
    _prune(context)
    keys = context.validation_results_store.list_keys()
    if not keys:
        return None
    # GE builds the index along with the pages it is given (none given would mean every page).
    pages = [key for key in keys if not _page(site_dir, key).exists()] or [max(keys, key=lambda k: k.run_id.run_time)]
    suites = {key.expectation_suite_identifier.name: key.expectation_suite_identifier for key in pages}
    context.build_data_docs(site_names=[SITE], resource_identifiers=[*pages, *suites.values()], build_index=True)
    return site_dir / "index.html"
