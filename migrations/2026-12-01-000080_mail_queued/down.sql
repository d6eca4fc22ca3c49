DROP TRIGGER mail_outbox_queued ON mail_outbox;
DROP FUNCTION nuanxin_mail_queued();
