{#- Helpers for int_sales_events: every branch of its union lists the same measure columns, each
    branch filling the measures it knows and 0 for the rest, so each measure is defined once. -#}

{% macro sales_event_measures() -%}
    {{ return([
        'activities', 'calls', 'emails_logged', 'meetings', 'social_touches',
        'emails_sent', 'emails_tracked', 'emails_opened', 'emails_clicked',
        'leads_created', 'leads_became_customers',
        'opportunities_created', 'opportunities_with_collateral',
        'opportunities_won', 'opportunities_lost', 'bookings_amount', 'lost_amount',
        'new_customers', 'campaign_responses',
        'survey_responses', 'csat_responses', 'csat_score_total', 'csat_satisfied',
        'nps_responses', 'nps_promoters', 'nps_detractors',
        'quota_amount',
    ]) }}
{%- endmacro %}

{#- The measures the daily mart reports: the day-to-day leading indicators and the day's bookings.
    int_sales_daily sums them per owner and day, kpi_sales_daily per rep, team and company. -#}
{% macro sales_daily_measures() -%}
    {{ return([
        'activities', 'calls', 'emails_logged', 'meetings', 'social_touches', 'emails_sent',
        'leads_created', 'opportunities_created', 'opportunities_won', 'opportunities_lost',
        'bookings_amount',
    ]) }}
{%- endmacro %}

{#- One branch: `event_date` and `owner_id` expressions, the measures it sets (name → expression),
    and the rest of the query (from/join/where). -#}
{% macro sales_event_branch(source, event_date, owner_id, measures, from_clause) -%}
    select
        '{{ source }}' as event_source,
        cast({{ event_date }} as date) as event_date,
        {{ owner_id }} as owner_id,
        {%- for name in sales_event_measures() %}
        {%- set zero = 'cast(0 as ' ~ type_double() ~ ')' if name.endswith(('_amount', '_total')) else '0' %}
        {{ measures.get(name, zero) }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    {{ from_clause }}
{%- endmacro %}

{#- The sum of a measure over events, typed: BIGINT for counts, double for amounts (a plain sum of
    integers is a 128-bit HUGEINT on DuckDB, which BI drivers read badly). -#}
{% macro sum_measure(name, relation=none) -%}
    {%- set column = (relation ~ '.' ~ name) if relation else name -%}
    {%- if name.endswith(('_amount', '_total')) -%}
        cast(sum({{ column }}) as {{ type_double() }})
    {%- else -%}
        cast(sum({{ column }}) as {{ dbt.type_bigint() }})
    {%- endif -%}
{%- endmacro %}

{#- The typed sums of `measures`, each named as its measure: a select list. -#}
{% macro sum_measures(measures) -%}
    {%- for measure in measures -%}
        {{ sum_measure(measure) }} as {{ measure }}{{ ',\n        ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
