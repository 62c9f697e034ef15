{#- One row per Salesforce user with the hierarchy the team KPIs roll up by: a user's team is led
    by their manager (team_id = ManagerId); a user with no manager leads a team of their own. -#}
with

users as (

    select * from {{ ref('stg_salesforce__user') }}

),

roles as (

    select * from {{ ref('stg_salesforce__user_role') }}

),

final as (

    select
        users.user_id,
        users.user_name,
        users.email,
        users.title,
        users.department,
        users.is_active,
        users.user_role_id,
        roles.role_name,
        users.manager_id,
        managers.user_name as manager_name,
        managers.manager_id as second_level_manager_id,
        coalesce(users.manager_id, users.user_id) as team_id,
        -- named after its leader; NULL when the manager is not in the User export
        case
            when users.manager_id is null then users.user_name || '''s team'
            when managers.user_id is not null then managers.user_name || '''s team'
        end as team_name,
        exists(
            select 1 from users as reports
            where reports.manager_id = users.user_id
        ) as is_manager,
        users.created_at
    from users
    left join users as managers on managers.user_id = users.manager_id
    left join roles on roles.user_role_id = users.user_role_id

)

select * from final
