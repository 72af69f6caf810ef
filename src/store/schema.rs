//! The one diesel schema for both backends (portable types only; times are BIGINT microseconds).

diesel::table! {
    platforms (id) {
        id -> Text,
        issuer -> Text,
        client_id -> Text,
        name -> Text,
        auth_url -> Text,
        token_url -> Text,
        jwks_url -> Text,
        token_audience -> Nullable<Text>,
        role_map -> Nullable<Text>,
        source -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    deployments (platform_id, deployment_id) {
        platform_id -> Text,
        deployment_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    tool_keys (kid) {
        kid -> Text,
        private_pem -> Text,
        public_jwk -> Text,
        created_at -> BigInt,
        retired_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    oidc_states (state) {
        state -> Text,
        nonce -> Text,
        platform_id -> Text,
        deployment_id -> Nullable<Text>,
        target_link_uri -> Text,
        browser_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        platform_id -> Text,
        sub -> Text,
        name -> Text,
        given_name -> Text,
        family_name -> Text,
        email -> Text,
        person_sourcedid -> Text,
        username -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    contexts (id) {
        id -> Text,
        platform_id -> Text,
        lti_id -> Text,
        label -> Text,
        title -> Text,
        nrps_url -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    resource_links (id) {
        id -> Text,
        context_id -> Text,
        lti_id -> Text,
        deployment_id -> Text,
        title -> Text,
        ags_lineitem -> Nullable<Text>,
        ags_lineitems -> Nullable<Text>,
        ags_scopes -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        platform_id -> Text,
        user_id -> Text,
        context_id -> Nullable<Text>,
        resource_link_id -> Nullable<Text>,
        deployment_id -> Text,
        message_type -> Text,
        tool_role -> Text,
        roles -> Text,
        group_ids -> Text,
        csrf_token -> Text,
        binding_hash -> Text,
        binding_state -> Text,
        launch -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    user_groups (context_id, user_id, group_id) {
        context_id -> Text,
        user_id -> Text,
        group_id -> BigInt,
        seen_at -> BigInt,
    }
}

diesel::table! {
    grade_outbox (id) {
        id -> Text,
        platform_id -> Text,
        context_id -> Text,
        resource_link_id -> Text,
        user_id -> Text,
        contract_id -> Nullable<Text>,
        user_sub -> Text,
        lineitem_url -> Nullable<Text>,
        lineitems_url -> Nullable<Text>,
        scopes -> Text,
        completed -> Bool,
        comment -> Text,
        score_timestamp -> BigInt,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        lease_until -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        delivered_at -> Nullable<BigInt>,
        lease_token -> Nullable<Text>,
        error_kind -> Nullable<Text>,
        last_attempt_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    course_grants (id) {
        id -> Text,
        context_id -> Text,
        user_id -> Text,
        role -> Text,
        formation_id -> Nullable<Text>,
        granted_by -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    course_configs (context_id) {
        context_id -> Text,
        academic_year -> Text,
        contact -> Text,
        source_file -> Text,
        content_hash -> Text,
        configured_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    questionnaire_versions (id) {
        id -> Text,
        context_id -> Text,
        questionnaire_key -> Text,
        version -> Integer,
        title -> Text,
        content_hash -> Text,
        file_name -> Text,
        source -> Text,
        published_at -> BigInt,
    }
}

diesel::table! {
    formations (id) {
        id -> Text,
        context_id -> Text,
        code -> Text,
        title -> Text,
        questionnaire_key -> Text,
        data -> Text,
        referent -> Text,
        info -> Nullable<Text>,
        position -> Integer,
        archived_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    formation_groups (context_id, group_id) {
        context_id -> Text,
        group_id -> BigInt,
        formation_id -> Text,
    }
}

diesel::table! {
    contracts (id) {
        id -> Text,
        context_id -> Text,
        formation_id -> Text,
        user_id -> Text,
        academic_year -> Text,
        questionnaire_version_id -> Text,
        state -> Text,
        answers -> Text,
        pages_done -> Text,
        revision -> Integer,
        previous_contract_id -> Nullable<Text>,
        number -> Nullable<Text>,
        signature_seq -> Integer,
        signed_at -> Nullable<BigInt>,
        fingerprint -> Nullable<Text>,
        validated_at -> Nullable<BigInt>,
        validated_by -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    contract_signatures (id) {
        id -> Text,
        contract_id -> Text,
        seq -> Integer,
        questionnaire_version_id -> Text,
        content -> Text,
        fingerprint -> Text,
        signed_at -> BigInt,
        signed_by -> Text,
    }
}

diesel::table! {
    contract_events (id) {
        id -> Text,
        contract_id -> Text,
        kind -> Text,
        actor_id -> Nullable<Text>,
        detail -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    contract_counters (scope) {
        scope -> Text,
        last_value -> BigInt,
    }
}

diesel::table! {
    unrouted_students (context_id, user_id) {
        context_id -> Text,
        user_id -> Text,
        group_ids -> Text,
        first_seen -> BigInt,
        last_seen -> BigInt,
        launches -> Integer,
    }
}

diesel::table! {
    contract_comments (id) {
        id -> Text,
        contract_id -> Text,
        author_id -> Nullable<Text>,
        author_label -> Text,
        visibility -> Text,
        body -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        platform_id -> Text,
        context_id -> Nullable<Text>,
        actor_user_id -> Nullable<Text>,
        actor_label -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Nullable<Text>,
        detail -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    ags_line_items (resource_link_id) {
        resource_link_id -> Text,
        lineitem_url -> Text,
        created_by_tool -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    registration_invites (id) {
        id -> Text,
        token_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        platform_id -> Nullable<Text>,
    }
}

diesel::table! {
    context_launches (context_id, user_id) {
        context_id -> Text,
        user_id -> Text,
        first_at -> BigInt,
        last_at -> BigInt,
        staff -> Bool,
    }
}

diesel::table! {
    moodle_course_roles (context_id, user_sub, shortname) {
        context_id -> Text,
        user_sub -> Text,
        shortname -> Text,
    }
}

diesel::table! {
    not_students (context_id, user_sub) {
        context_id -> Text,
        user_sub -> Text,
        marked_by -> Nullable<Text>,
        marked_at -> BigInt,
    }
}

diesel::table! {
    roster_members (context_id, user_sub) {
        context_id -> Text,
        user_sub -> Text,
        name -> Text,
        given_name -> Text,
        family_name -> Text,
        email -> Text,
        person_sourcedid -> Text,
        username -> Text,
        roles -> Text,
        status -> Text,
        first_seen_at -> BigInt,
        synced_at -> BigInt,
    }
}

diesel::table! {
    roster_syncs (context_id) {
        context_id -> Text,
        synced_at -> Nullable<BigInt>,
        members -> Integer,
        last_attempt_at -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        groups_synced_at -> Nullable<BigInt>,
        groups_error -> Nullable<Text>,
        lease_until -> Nullable<BigInt>,
    }
}

diesel::table! {
    platform_webservices (platform_id) {
        platform_id -> Text,
        url -> Text,
        token -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    moodle_groups (context_id, group_id) {
        context_id -> Text,
        group_id -> BigInt,
        name -> Text,
        idnumber -> Text,
        synced_at -> BigInt,
    }
}

diesel::table! {
    moodle_group_members (context_id, group_id, user_sub) {
        context_id -> Text,
        group_id -> BigInt,
        user_sub -> Text,
    }
}

diesel::table! {
    questionnaire_drafts (id) {
        id -> Text,
        context_id -> Text,
        questionnaire_key -> Text,
        title -> Text,
        base_version_id -> Nullable<Text>,
        file_name -> Text,
        source -> Text,
        revision -> Integer,
        created_by -> Nullable<Text>,
        updated_by -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    course_years (context_id, academic_year) {
        context_id -> Text,
        academic_year -> Text,
        opened_at -> BigInt,
        closed_at -> Nullable<BigInt>,
        closed_by -> Nullable<Text>,
    }
}

diesel::joinable!(deployments -> platforms (platform_id));
diesel::joinable!(oidc_states -> platforms (platform_id));
diesel::joinable!(users -> platforms (platform_id));
diesel::joinable!(contexts -> platforms (platform_id));
diesel::joinable!(resource_links -> contexts (context_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(user_groups -> users (user_id));
diesel::joinable!(formations -> contexts (context_id));
diesel::joinable!(formation_groups -> formations (formation_id));
diesel::joinable!(questionnaire_versions -> contexts (context_id));
diesel::joinable!(contracts -> formations (formation_id));
diesel::joinable!(contracts -> questionnaire_versions (questionnaire_version_id));
diesel::joinable!(contracts -> users (user_id));
diesel::joinable!(contracts -> contexts (context_id));
diesel::joinable!(contract_signatures -> contracts (contract_id));
diesel::joinable!(contract_events -> contracts (contract_id));
diesel::joinable!(contract_comments -> contracts (contract_id));
diesel::joinable!(unrouted_students -> users (user_id));
diesel::joinable!(grade_outbox -> users (user_id));
diesel::joinable!(context_launches -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    contract_comments,
    platforms,
    deployments,
    tool_keys,
    oidc_states,
    users,
    contexts,
    resource_links,
    sessions,
    user_groups,
    grade_outbox,
    course_grants,
    audit_log,
    course_configs,
    questionnaire_versions,
    formations,
    formation_groups,
    contracts,
    contract_signatures,
    contract_events,
    contract_counters,
    unrouted_students,
    ags_line_items,
    registration_invites,
    context_launches,
    moodle_course_roles,
    not_students,
    roster_members,
    roster_syncs,
    platform_webservices,
    moodle_groups,
    moodle_group_members,
    questionnaire_drafts,
    course_years,
);
