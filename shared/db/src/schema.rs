// Diesel table definitions for migrations/. Kept by hand in the shape `diesel print-schema` produces.

diesel::table! {
    tenants (id) {
        id -> Uuid,
        slug -> Text,
        name -> Text,
        time_zone -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    platform_operators (id) {
        id -> Uuid,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    access_rules (ptype, v0, v1, v2, v3, v4, v5) {
        ptype -> Text,
        v0 -> Text,
        v1 -> Text,
        v2 -> Text,
        v3 -> Text,
        v4 -> Text,
        v5 -> Text,
    }
}

diesel::table! {
    org_units (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        kind -> Text,
        code -> Text,
        name -> Text,
        parent_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    users (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        username -> Text,
        display_name -> Text,
        email -> Nullable<Text>,
        password_hash -> Text,
        org_unit_id -> Uuid,
        active -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    families (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        kind -> Text,
        hukou_district -> Text,
        street_id -> Uuid,
        community_id -> Uuid,
        address -> Text,
        latitude -> Nullable<Float8>,
        longitude -> Nullable<Float8>,
        child_died_on -> Nullable<Date>,
        child_disability_grade -> Nullable<Int2>,
        child_certified_on -> Nullable<Date>,
        monthly_income_per_capita_cny -> Int8,
        prior_year_total_income_cny -> Int8,
        assisted_reproduction_birth_on -> Nullable<Date>,
        status -> Text,
        exit_reason -> Nullable<Text>,
        exit_note -> Nullable<Text>,
        exited_on -> Nullable<Date>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        people -> Json,
    }
}

diesel::table! {
    family_members (tenant_id, family_id, role) {
        tenant_id -> Uuid,
        family_id -> Uuid,
        role -> Text,
        name -> Text,
        resident_id_enc -> Bytea,
        resident_id_hash -> Bytea,
        phone_enc -> Nullable<Bytea>,
        birth_date -> Date,
        alive -> Bool,
        self_care -> Text,
        sanwu -> Bool,
        care -> Text,
        nursing_home_in_district -> Bool,
        major_illness_hospitalized_on -> Nullable<Date>,
        out_of_pocket_medical_cny -> Int8,
        fertility_treatment_since -> Nullable<Date>,
        wants_home_services -> Bool,
        bank_account_enc -> Nullable<Bytea>,
    }
}

diesel::table! {
    contact_persons (tenant_id, family_id, position) {
        tenant_id -> Uuid,
        family_id -> Uuid,
        position -> Int2,
        name -> Text,
        category -> Text,
        phone_enc -> Nullable<Bytea>,
    }
}

diesel::table! {
    family_changes (tenant_id, family_id, version) {
        tenant_id -> Uuid,
        family_id -> Uuid,
        version -> Int4,
        changed_at -> Timestamptz,
        actor_id -> Uuid,
        actor_name -> Text,
        action -> Text,
        changes -> Jsonb,
    }
}

diesel::table! {
    audit_events (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Int8,
        occurred_at -> Timestamptz,
        actor -> Text,
        action -> Text,
        object_type -> Text,
        object_id -> Text,
        detail -> Jsonb,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    audit_chain (tenant_id, seq) {
        tenant_id -> Uuid,
        seq -> Int8,
        event_id -> Int8,
        prev_hash -> Bytea,
        hash -> Bytea,
        sealed_at -> Timestamptz,
    }
}

diesel::table! {
    audit_unsealed (tenant_id, event_id) {
        tenant_id -> Uuid,
        event_id -> Int8,
    }
}

diesel::table! {
    mail_outbox (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        to_address -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamptz,
        attempts -> Int4,
        last_error -> Nullable<Text>,
        next_try_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        lease_id -> Nullable<Uuid>,
        leased_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    benefit_cycles (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        program -> Text,
        period -> Text,
        evaluated_on -> Date,
        created_by -> Text,
        created_at -> Timestamptz,
        generated_at -> Timestamptz,
    }
}

diesel::table! {
    benefit_entries (tenant_id, program, period, family_id, person) {
        tenant_id -> Uuid,
        program -> Text,
        period -> Text,
        family_id -> Uuid,
        person -> Text,
        id -> Uuid,
        cycle_id -> Uuid,
        street_id -> Uuid,
        amount_cny -> Nullable<Int8>,
        payer -> Text,
        basis -> Text,
        status -> Text,
        exit_reason -> Nullable<Text>,
        exit_detail -> Nullable<Text>,
        verify_note -> Nullable<Text>,
        reject_reason -> Nullable<Text>,
        payment_reference -> Nullable<Text>,
        verified_by -> Nullable<Text>,
        verified_at -> Nullable<Timestamptz>,
        approved_by -> Nullable<Text>,
        approved_at -> Nullable<Timestamptz>,
        paid_by -> Nullable<Text>,
        paid_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        amount_note -> Nullable<Text>,
        amount_entered_by -> Nullable<Text>,
    }
}

diesel::table! {
    family_assignments (tenant_id, source, source_id, family_id) {
        tenant_id -> Uuid,
        source -> Text,
        source_id -> Uuid,
        family_id -> Uuid,
        user_id -> Nullable<Uuid>,
        org_unit_id -> Nullable<Uuid>,
        starts_at -> Timestamptz,
        ends_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    policy_parameter_values (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Int8,
        parameter -> Text,
        effective_from -> Date,
        value -> Nullable<Int8>,
        basis -> Text,
        entered_by -> Uuid,
        entered_at -> Timestamptz,
    }
}

diesel::table! {
    entitlement_snapshots (tenant_id, family_id) {
        tenant_id -> Uuid,
        family_id -> Uuid,
        programs -> Jsonb,
        evaluated_on -> Date,
    }
}

diesel::table! {
    follow_ups (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        family_id -> Uuid,
        street_id -> Uuid,
        change -> Text,
        program -> Text,
        person -> Text,
        detail -> Jsonb,
        created_on -> Date,
        status -> Text,
        done_by -> Nullable<Text>,
        done_at -> Nullable<Timestamptz>,
        done_note -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    job_runs (job, domain) {
        job -> Text,
        domain -> Text,
        period_start -> Timestamptz,
        claim_id -> Uuid,
        claimed_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        succeeded -> Nullable<Bool>,
        detail -> Nullable<Text>,
        last_success_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Bytea,
        user_id -> Uuid,
        body -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sharing_consents (tenant_id, family_id, org_unit_code, purpose) {
        tenant_id -> Uuid,
        family_id -> Uuid,
        org_unit_code -> Text,
        purpose -> Text,
        given_on -> Date,
        how -> Text,
        note -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamptz,
        withdrawn_on -> Nullable<Date>,
        withdrawn_by -> Nullable<Text>,
    }
}

diesel::table! {
    data_requests (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        org_unit_id -> Uuid,
        requested_by -> Uuid,
        purpose -> Text,
        fields -> Jsonb,
        filter -> Jsonb,
        days -> Int4,
        status -> Text,
        decided_by -> Nullable<Uuid>,
        decided_at -> Nullable<Timestamptz>,
        reason -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    data_releases (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        request_id -> Uuid,
        org_unit_id -> Uuid,
        purpose -> Text,
        fields -> Jsonb,
        approved_by -> Uuid,
        approved_at -> Timestamptz,
        released_on -> Date,
        expires_on -> Date,
        state -> Text,
        families -> Int4,
        revoked_at -> Nullable<Timestamptz>,
        revoked_by -> Nullable<Uuid>,
        expiry_notice_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    data_release_records (tenant_id, release_id, seq) {
        tenant_id -> Uuid,
        release_id -> Uuid,
        seq -> Int4,
        family_id -> Uuid,
        record_enc -> Bytea,
        street -> Text,
        community -> Text,
        kind -> Text,
        age_band -> Text,
        programs -> Jsonb,
    }
}

diesel::table! {
    volunteers (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        organization_id -> Nullable<Uuid>,
        user_id -> Nullable<Uuid>,
        name -> Text,
        email -> Nullable<Text>,
        phone_enc -> Nullable<Bytea>,
        skills -> Jsonb,
        qualifications -> Jsonb,
        latitude -> Nullable<Float8>,
        longitude -> Nullable<Float8>,
        availability -> Jsonb,
        weekly_max -> Int2,
        preference -> Int2,
        training -> Jsonb,
        no_shows -> Int4,
        active -> Bool,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    service_tasks (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        family_id -> Uuid,
        street_id -> Uuid,
        community_id -> Uuid,
        series_id -> Uuid,
        service -> Text,
        qualifications -> Jsonb,
        starts_at -> Timestamptz,
        ends_at -> Timestamptz,
        place -> Text,
        by_phone -> Bool,
        helpers_needed -> Int2,
        urgency -> Text,
        long_term -> Bool,
        contact_name -> Text,
        contact_phone_enc -> Nullable<Bytea>,
        notes -> Text,
        status -> Text,
        closed_at -> Nullable<Timestamptz>,
        created_by -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    task_proposals (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        family_id -> Uuid,
        street_id -> Uuid,
        community_id -> Uuid,
        program -> Text,
        service -> Text,
        persons -> Text,
        by_phone -> Bool,
        reason -> Text,
        status -> Text,
        first_proposed_on -> Date,
        seen_on -> Date,
        task_series_id -> Nullable<Uuid>,
        decision_reason -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    matching_runs (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        started_by -> Text,
        street_id -> Nullable<Uuid>,
        started_at -> Timestamptz,
        tasks -> Int4,
        candidates -> Int4,
        offers -> Int4,
        cost -> Int8,
        unfilled -> Jsonb,
    }
}

diesel::table! {
    task_offers (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        task_id -> Uuid,
        run_id -> Uuid,
        slot -> Int2,
        volunteer_id -> Uuid,
        organization_id -> Nullable<Uuid>,
        assigned_volunteer_id -> Nullable<Uuid>,
        status -> Text,
        cost -> Int8,
        reasons -> Text,
        deadline -> Timestamptz,
        decline_reason -> Nullable<Text>,
        answered_by -> Nullable<Text>,
        answered_at -> Nullable<Timestamptz>,
        checked_in_at -> Nullable<Timestamptz>,
        checked_out_at -> Nullable<Timestamptz>,
        minutes -> Nullable<Int4>,
        report -> Nullable<Text>,
        concern -> Nullable<Text>,
        ended_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    task_notices (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        kind -> Text,
        offer_id -> Uuid,
        recipient -> Text,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    visit_campaigns (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        program -> Text,
        year -> Int4,
        festival_on -> Date,
        window_starts_on -> Date,
        cycle_id -> Nullable<Uuid>,
        families -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        generated_at -> Nullable<Timestamptz>,
        reminded_on -> Nullable<Date>,
    }
}

diesel::table! {
    visit_campaign_families (tenant_id, campaign_id, family_id) {
        tenant_id -> Uuid,
        campaign_id -> Uuid,
        family_id -> Uuid,
        street_id -> Uuid,
        community_id -> Uuid,
    }
}

diesel::table! {
    visits (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        campaign_id -> Uuid,
        family_id -> Uuid,
        visited_on -> Date,
        how -> Text,
        money_cny -> Int8,
        needs -> Nullable<Text>,
        visitor_id -> Uuid,
        visitor_name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    contact_log (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        family_id -> Uuid,
        contacted_on -> Date,
        how -> Text,
        summary -> Text,
        problems -> Jsonb,
        contact_person -> Nullable<Text>,
        recorded_by_id -> Uuid,
        recorded_by -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    contact_accounts (tenant_id, family_id, user_id) {
        tenant_id -> Uuid,
        family_id -> Uuid,
        user_id -> Uuid,
        created_by -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    signature_projects (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        street_id -> Uuid,
        year -> Int4,
        name -> Text,
        description -> Text,
        created_by -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    activities (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        home -> Text,
        street_id -> Uuid,
        project_id -> Nullable<Uuid>,
        held_on -> Date,
        place -> Text,
        kind -> Text,
        spending_cny -> Int8,
        participants -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    activity_participants (tenant_id, activity_id, family_id) {
        tenant_id -> Uuid,
        activity_id -> Uuid,
        family_id -> Uuid,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    org_units,
    users,
    families,
    family_members,
    contact_persons,
    family_changes,
    audit_events,
    audit_chain,
    audit_unsealed,
    mail_outbox,
    benefit_cycles,
    benefit_entries,
    entitlement_snapshots,
    family_assignments,
    policy_parameter_values,
    follow_ups,
    job_runs,
    sessions,
    sharing_consents,
    data_requests,
    data_releases,
    data_release_records,
    volunteers,
    service_tasks,
    matching_runs,
    task_offers,
    task_notices,
    visit_campaigns,
    visit_campaign_families,
    visits,
    contact_log,
    contact_accounts,
    signature_projects,
    activities,
    activity_participants,
);

// The dashboard groups open follow-ups by their street and their family's community.
diesel::allow_columns_to_appear_in_same_group_by_clause!(
    follow_ups::street_id,
    families::community_id,
);

diesel::table! {
    checkin_enrolments (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        family_id -> Uuid,
        person -> Text,
        reason -> Text,
        note -> Nullable<Text>,
        enrolled_by -> Uuid,
        enrolled_at -> Timestamptz,
    }
}

diesel::table! {
    checkin_helpers (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        name -> Text,
        phone_enc -> Bytea,
        community_id -> Uuid,
        latitude -> Float8,
        longitude -> Float8,
        user_id -> Nullable<Uuid>,
        max_elders -> Int2,
        created_by -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    checkin_pairings (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        family_id -> Uuid,
        person -> Text,
        helper_id -> Uuid,
        elder_consent_on -> Date,
        elder_consent_how -> Text,
        elder_consent_by -> Uuid,
        helper_consent_on -> Date,
        helper_consent_how -> Text,
        helper_consent_by -> Uuid,
        deadline_minute -> Int2,
        days_off -> Int2,
        starts_on -> Date,
        created_by -> Uuid,
        created_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
        ended_side -> Nullable<Text>,
        ended_reason -> Nullable<Text>,
        ended_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    checkin_pauses (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        pairing_id -> Uuid,
        starts_on -> Date,
        ends_on -> Nullable<Date>,
        reason -> Text,
        created_by -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    checkin_check_ins (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        pairing_id -> Uuid,
        logged_at -> Timestamptz,
        day -> Date,
        outcome -> Text,
        how -> Text,
        logged_by -> Uuid,
        on_behalf -> Bool,
    }
}

diesel::table! {
    checkin_days (tenant_id, pairing_id, day) {
        tenant_id -> Uuid,
        pairing_id -> Uuid,
        day -> Date,
        steps -> Jsonb,
        started_at -> Timestamptz,
    }
}

diesel::table! {
    checkin_alerts (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        pairing_id -> Uuid,
        day -> Date,
        step -> Int2,
        recipient -> Text,
        cause -> Text,
        due_at -> Timestamptz,
        raised_at -> Timestamptz,
        late -> Bool,
        acknowledged_at -> Nullable<Timestamptz>,
        acknowledged_by -> Nullable<Uuid>,
        finding -> Nullable<Text>,
        cleared_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    checkin_silences (tenant_id, pairing_id, since) {
        tenant_id -> Uuid,
        pairing_id -> Uuid,
        since -> Date,
        raised_at -> Timestamptz,
    }
}

diesel::table! {
    checkin_emergencies (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        pairing_id -> Uuid,
        what -> Text,
        ambulance -> Bool,
        hospital -> Nullable<Text>,
        outcome -> Nullable<Text>,
        recorded_by -> Uuid,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    checkin_sweep_stalls (tenant_id, last_success_at) {
        tenant_id -> Uuid,
        last_success_at -> Timestamptz,
        told_at -> Timestamptz,
    }
}

// The check-in tables among themselves (a list of their own, so that the first list stays as it is).
diesel::allow_tables_to_appear_in_same_query!(
    checkin_enrolments,
    checkin_helpers,
    checkin_pairings,
    checkin_pauses,
    checkin_check_ins,
    checkin_days,
    checkin_alerts,
    checkin_silences,
    checkin_emergencies,
    checkin_sweep_stalls,
);

// Changes to the tables the care dashboard counts, one row per writing statement (its cache key).
diesel::table! {
    dashboard_changes (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Int8,
        changes -> Int8,
    }
}

diesel::table! {
    task_cancellations (tenant_id, task_id) {
        tenant_id -> Uuid,
        task_id -> Uuid,
        reason -> Text,
        cancelled_by -> Text,
        cancelled_at -> Timestamptz,
    }
}

// A task's cancellation beside its task.
diesel::allow_tables_to_appear_in_same_query!(task_cancellations, service_tasks);
