{#- An aggregate that changes whenever any input row of a group is added, removed or changed:
    the sum of a hash of each row's columns. Incremental models store it with their output and
    reprocess a group when the recomputed value differs, so a change anywhere (a merged record, a
    record released from quarantine, a deletion, a row crossing the as-of date) is never missed.
    The sum does not depend on the order rows are read in. -#}
{% macro inputs_fingerprint(columns) -%}
    sum({{ row_fingerprint(columns) }})
{%- endmacro %}

{#- One row's share of the fingerprint: a 64-bit hash of its values, as a number that sums exactly. -#}
{% macro row_fingerprint(columns) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'crm_kpi')(columns)) }}
{%- endmacro %}

{% macro default__row_fingerprint(columns) -%}
    {{ exceptions.raise_compiler_error("row_fingerprint: no implementation for " ~ target.type) }}
{%- endmacro %}

{% macro duckdb__row_fingerprint(columns) -%}
    cast(hash({{ columns | join(', ') }}) as hugeint)
{%- endmacro %}

{#- Postgres has no hash of several values: the row's text form, hashed to 64 bits. -#}
{% macro postgres__row_fingerprint(columns) -%}
    cast(hashtextextended(cast(row({{ columns | join(', ') }}) as text), 0) as numeric)
{%- endmacro %}

{#- Spark's 64-bit xxHash of the values themselves, as a decimal whose sums cannot overflow. -#}
{% macro spark__row_fingerprint(columns) -%}
    cast(xxhash64({{ columns | join(', ') }}) as decimal(38, 0))
{%- endmacro %}

{#- A predicate on `inputs` (a relation with `key` and `_inputs_fingerprint`): true when the
    incremental model does not hold that key with that fingerprint yet, i.e. the group is new or
    its inputs changed since it was computed. -#}
{% macro inputs_changed(inputs, key) -%}
    not exists (
        select 1
        from {{ this }} as processed
        where processed.{{ key }} = {{ inputs }}.{{ key }}
            and processed._inputs_fingerprint = {{ inputs }}._inputs_fingerprint
    )
{%- endmacro %}

{#- The materialization of the incremental facts. Spark's incremental strategies need a table
    format that can delete rows (merge: Delta, Iceberg or Hudi, whose jars Spark fetches from
    Maven) or replace whole partitions (insert_overwrite), and these facts replace single rows: on
    Spark's plain Parquet tables they are rebuilt whole each run. -#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'crm_kpi')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
