"""The demo org at scale: the large-org preset, territories, streaming and determinism.

A large org is generated territory by territory. Territories are shrunk here (TERRITORY_SCALE
patched to 0.25, about six reps each) so an org of several territories costs about a second.
"""

from __future__ import annotations

import tracemalloc

import duckdb
import pytest

import demo_org.generate as generate
import demo_org.sinks as sinks
import tests.generator.test_realism as realism
from demo_org import LARGE_ORG_SCALE, generate_org, planned_counts
from demo_org.ids import to_18
from orchestration.salesforce.objects import OBJECTS
from tests.support.demo import AS_OF, STRUCTURE_CHECKS

SMALL_TERRITORY = 0.25
SCALE = 1.1  # five territories of 0.22


def _generate(out, *, scale=SCALE, fmt="parquet", seed=5) -> dict[str, int]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generate, "TERRITORY_SCALE", SMALL_TERRITORY)
        return generate_org(out, as_of=AS_OF, seed=seed, scale=scale, fmt=fmt)


@pytest.fixture(scope="module")
def territory_org(tmp_path_factory):
    """An org of five territories as Parquet, with one DuckDB view per object."""
    out = tmp_path_factory.mktemp("territories")
    counts = _generate(out)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generate, "TERRITORY_SCALE", SMALL_TERRITORY)
        planned = planned_counts(SCALE)
    con = duckdb.connect()
    for obj in OBJECTS:
        con.execute(f"create view \"{obj.api_name}\" as select * from read_parquet('{out / obj.api_name}.parquet')")
    yield {"dir": out, "counts": counts, "planned": planned, "con": con}
    con.close()


# --- The large org ---------------------------------------------------------------------------


def test_the_large_org_preset_plans_a_million_deals_and_two_million_leads():
    planned = planned_counts(LARGE_ORG_SCALE)
    assert 1_000_000 <= planned["Opportunity"] < 1_010_000
    assert planned["Lead"] >= 2_000_000 and planned["Account"] >= 1_000_000
    assert generate.territories(LARGE_ORG_SCALE) == 84  # each at most TERRITORY_SCALE
    assert LARGE_ORG_SCALE / 84 <= generate.TERRITORY_SCALE


def test_the_large_org_has_over_ten_million_tasks_and_events(territory_org):
    # Every territory is drawn the same way whatever the org's size, so activities per deal carry over.
    counts = territory_org["counts"]
    per_deal = (counts["Task"] + counts["Event"]) / counts["Opportunity"]
    assert per_deal * planned_counts(LARGE_ORG_SCALE)["Opportunity"] > 10_000_000


def test_a_scale_is_cut_into_territories_of_at_most_the_territory_scale():
    assert generate.territories(0.05) == generate.territories(generate.TERRITORY_SCALE) == 1
    assert generate.territories(generate.TERRITORY_SCALE + 0.01) == 2
    assert generate.territories(10 * generate.TERRITORY_SCALE) == 10


# --- An org of many territories --------------------------------------------------------------


def test_an_org_of_many_territories_has_the_planned_counts(territory_org):
    counts, planned = territory_org["counts"], territory_org["planned"]
    for name in ("User", "UserRole", "Campaign", "CurrencyType", "Lead"):
        assert counts[name] == planned[name], name
    for name in ("Account", "Contact", "Opportunity"):
        assert planned[name] <= counts[name] <= 1.02 * planned[name], name


def test_ids_never_collide_across_territories_and_carry_their_key_prefix(territory_org):
    con = territory_org["con"]
    for obj in OBJECTS:
        ids = [r[0] for r in con.execute(f'select Id from "{obj.api_name}"').fetchall()]
        assert len(ids) == len(set(ids)) == territory_org["counts"][obj.api_name], obj.api_name
        assert all(i.startswith(obj.id_prefix) and to_18(i) == i for i in ids), obj.api_name


@pytest.mark.parametrize("check", [
    *STRUCTURE_CHECKS,
    "test_some_rows_are_soft_deleted_in_every_object_that_supports_it",
    "test_the_team_is_a_vp_over_managers_over_reps_with_a_few_inactive_users",
])
def test_an_org_of_many_territories_keeps_the_realism_of_a_small_one(territory_org, check):
    getattr(realism, check)(territory_org)


def test_the_same_arguments_write_byte_identical_parquet_across_territories(territory_org, tmp_path):
    _generate(tmp_path)
    for obj in OBJECTS:
        name = f"{obj.api_name}.parquet"
        assert (tmp_path / name).read_bytes() == (territory_org["dir"] / name).read_bytes(), name


def test_csv_of_many_territories_has_one_header_and_every_row(tmp_path):
    counts = _generate(tmp_path, fmt="csv", scale=0.6)
    for obj in OBJECTS:
        path = tmp_path / f"{obj.api_name}.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0] == ",".join(f.api_name for f in obj.fields)
        assert sum(line == lines[0] for line in lines) == 1, obj.api_name
        assert len(lines) - 1 == counts[obj.api_name], obj.api_name  # no value spans lines


def test_memory_follows_the_territory_size_not_the_org_size(tmp_path, monkeypatch):
    # numpy reports its buffers to tracemalloc: four times the territories must take far less than
    # four times the memory (what grows is the org-wide part: users, quotas, campaigns). (Batches are written as they come here; normally small ones are pooled up to
    # MIN_ROW_GROUP rows, a bound that does not grow with the org either.)
    monkeypatch.setattr(sinks, "MIN_ROW_GROUP", 1)
    peaks = []
    for scale in (1.0, 4.0):
        tracemalloc.start()
        _generate(tmp_path / str(scale), scale=scale)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 2 * peaks[0]
