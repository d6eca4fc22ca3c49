DROP TABLE checkin_sweep_stalls, checkin_emergencies, checkin_silences, checkin_alerts, checkin_days, checkin_check_ins,
    checkin_pauses, checkin_pairings, checkin_helpers, checkin_enrolments;
