DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['families', 'contact_persons', 'contact_log', 'visit_campaigns',
                             'visit_campaign_families', 'visits', 'follow_ups', 'benefit_entries']
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_dashboard_changed', t);
    END LOOP;
END
$$;
DROP FUNCTION nuanxin_dashboard_changed();
DROP TABLE dashboard_changes;
