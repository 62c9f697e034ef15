{#- The as-of date every KPI is computed for, a DATE literal: the `as_of_date` var when one is
    given (a unit test, an ad-hoc `dbt build --vars`), else the run's (see run_context), else the
    build day (an ad-hoc `dbt build` on a warehouse no pipeline run has written). -#}
{% macro as_of_date() -%}
    cast('{{ var("as_of_date", none) or run_context("as_of_date") or run_started_at.strftime("%Y-%m-%d") }}' as date)
{%- endmacro %}

{#- The end of the as-of day, exclusive: events at or after it are not yet known. -#}
{% macro as_of_cutoff() -%}
    {{ dbt.dateadd('day', 1, as_of_date()) }}
{%- endmacro %}

{#- A ratio that is NULL, never 0, when its denominator is 0 or NULL. -#}
{% macro safe_divide(numerator, denominator) -%}
    case
        when coalesce(({{ denominator }}), 0) = 0 then null
        else cast(({{ numerator }}) as {{ type_double() }}) / ({{ denominator }})
    end
{%- endmacro %}

{#- The first day of the calendar month of a date or timestamp, as a DATE. -#}
{% macro month_of(expression) -%}
    cast({{ dbt.date_trunc('month', expression) }} as date)
{%- endmacro %}

{#- A double-precision float. dbt.type_float is a 4-byte FLOAT on DuckDB, too coarse for money.
    The contracts and seeds in yml, which cannot call a macro, make the same choice inline (the
    `&double` anchor of each file): Spark has no `double precision`, Postgres no bare `double`. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'crm_kpi')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}

{#- `expression` as a double. Divide a double, not a decimal literal such as 86400.0: Spark reads
    such a literal as a DECIMAL and keeps only a few digits of the quotient. -#}
{% macro to_double(expression) -%}
    cast({{ expression }} as {{ type_double() }})
{%- endmacro %}

{#- The team of `relation`'s owner, with dim_users joined as `owners`: the manager's team
    (dim_users.team_id); an owner dim_users does not know (a user the export lacks) leads a team of
    their own. Every mart with team rows assigns teams through this one definition. -#}
{% macro owner_team_id(relation) -%}
    coalesce(owners.team_id, {{ relation }}.owner_id)
{%- endmacro %}

{#- The rows of a KPI mart at three grains at once: per rep (owner_id), per team (team_id) and
    for the company. Use with `group by {{ entity_grouping_sets('<period column>') }}`. -#}
{% macro entity_grouping_sets(period) -%}
    grouping sets (({{ period }}, owner_id), ({{ period }}, team_id), ({{ period }}))
{%- endmacro %}

{% macro entity_columns() -%}
    case
        when grouping(owner_id) = 0 then 'rep'
        when grouping(team_id) = 0 then 'team'
        else 'company'
    end as entity_type,
    coalesce(
        case
            when grouping(owner_id) = 0 then owner_id
            when grouping(team_id) = 0 then team_id
            else 'company'
        end,
        '(unassigned)'
    ) as entity_id
{%- endmacro %}

{#- Growth of a measure against the same entity some months earlier, within one mart: join the
    earlier period with period_growth_join, then take period_growth of the measure. A missing or
    zero earlier value gives NULL. -#}
{% macro period_growth_join(relation, current, earlier, period, months_back) -%}
    left join {{ relation }} as {{ earlier }}
        on {{ earlier }}.entity_type = {{ current }}.entity_type
        and {{ earlier }}.entity_id = {{ current }}.entity_id
        and {{ earlier }}.{{ period }} = cast({{ dbt.dateadd('month', -months_back, current ~ '.' ~ period) }} as date)
{%- endmacro %}

{% macro period_growth(measure, current, earlier) -%}
    {{ safe_divide(current ~ '.' ~ measure ~ ' - ' ~ earlier ~ '.' ~ measure, earlier ~ '.' ~ measure) }}
{%- endmacro %}
