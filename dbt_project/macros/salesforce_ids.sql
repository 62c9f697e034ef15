{#- The kind of record a polymorphic Salesforce Id (WhoId, WhatId, RelatedToId) points at, from
    its 3-character key prefix. -#}
{% macro salesforce_record_type(id_column) -%}
    case left({{ id_column }}, 3)
        when '00Q' then 'lead'
        when '003' then 'contact'
        when '006' then 'opportunity'
        when '001' then 'account'
        when '701' then 'campaign'
        when '005' then 'user'
        else case when {{ id_column }} is null then null else 'other' end
    end
{%- endmacro %}
