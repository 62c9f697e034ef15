{#- Conversion into the corporate currency, written once for every model with amounts (today
    fct_opportunities and int_quota_monthly). The model reads `int_currency_rates` as its CTE
    `currency_rates`, joins the rates with `join_conversion_rates(currency_column)` and converts
    with `conversion_rate(currency_column)`: corporate amount = amount / rate. -#}

{#- The rate of a record: 1 when the org is single-currency (no CurrencyType rows) or the record
    has no currency; NULL for a currency the org does not define, which the not_null tests on
    converted amounts then catch. -#}
{% macro conversion_rate(currency_column) -%}
    case
        when org_currencies.currency_count = 0 or {{ currency_column }} is null then 1.0
        else currency_rates.conversion_rate
    end
{%- endmacro %}

{#- The joins `conversion_rate` reads: the record's currency, and how many the org defines (a
    single-currency org has none, whatever code a mapped export writes on its records). -#}
{% macro join_conversion_rates(currency_column) -%}
    cross join (select count(*) as currency_count from currency_rates) as org_currencies
    left join currency_rates
        on currency_rates.currency_iso_code = {{ currency_column }}
{%- endmacro %}
