{#- An aggregate that changes whenever any input row of a group is added, removed or changed:
    the sum of a hash of each row's columns. Incremental models store it with their output and
    reprocess a group when the recomputed value differs, so a change anywhere (a merged record, a
    record released from quarantine, a deletion, a row crossing the as-of date) is never missed.
    The sum does not depend on the order rows are read in. -#}
{% macro inputs_fingerprint(columns) -%}
    {{ return(adapter.dispatch('inputs_fingerprint', 'crm_kpi')(columns)) }}
{%- endmacro %}

{% macro default__inputs_fingerprint(columns) -%}
    sum(hash({{ columns | join(', ') }}))
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
