{#- The rate that converts an amount in `currency_column` into the corporate currency
    (corporate amount = amount / rate). Rate 1 when the org is single-currency (no CurrencyType
    rows) or the record has no currency; NULL for a currency the org does not define, which the
    not_null tests on converted amounts then catch. -#}
{% macro conversion_rate(currency_column, rates_relation, org_currencies_relation) -%}
    case
        when {{ org_currencies_relation }}.currency_count = 0 or {{ currency_column }} is null then 1.0
        else {{ rates_relation }}.conversion_rate
    end
{%- endmacro %}
