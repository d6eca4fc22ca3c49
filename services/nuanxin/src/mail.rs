//! E-mail: the dispatcher that drains the transactional outbox through SMTP, or into a folder of .eml
//! files when no SMTP server is configured.
//!
//! A message is claimed with `FOR UPDATE SKIP LOCKED` and marked sent in the same transaction, so two
//! dispatchers never send the same message; its Message-ID is the outbox id, so that in the one window
//! left (sent, then the process died before commit) the receiving side can recognise the repeat.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use nuanxin_db::models::mail::QueuedMail;
use nuanxin_db::pool::{DbPool, TenantTx, TxError};
use uuid::Uuid;

use crate::configuration::MailSettings;

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail settings: {0}")]
    Settings(String),
    #[error(transparent)]
    Database(#[from] TxError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> Result<Mailer, MailError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| MailError::Settings(format!("mail.from: {e}")))?;
        let transport = if settings.smtp_url.is_empty() {
            std::fs::create_dir_all(&settings.folder).map_err(|e| {
                MailError::Settings(format!("mail.folder {}: {e}", settings.folder.display()))
            })?;
            Transport::Folder(
                AsyncFileTransport::new(&settings.folder),
                settings.folder.clone(),
            )
        } else {
            Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
                    .map_err(|e| MailError::Settings(format!("mail.smtp_url: {e}")))?
                    .timeout(Some(Duration::from_secs(10)))
                    .build(),
            )
        };
        Ok(Mailer { from, transport })
    }

    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "smtp".into(),
            Transport::Folder(_, path) => format!("folder {}", path.display()),
        }
    }

    async fn send(&self, mail: &QueuedMail) -> Result<(), String> {
        let to: Mailbox = mail
            .to_address
            .parse()
            .map_err(|e| format!("bad address: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(format!("<{}@nuanxin>", mail.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| e.to_string())?;
        match &self.transport {
            Transport::Smtp(t) => t.send(message).await.map(drop).map_err(|e| e.to_string()),
            Transport::Folder(t, _) => t.send(message).await.map(drop).map_err(|e| e.to_string()),
        }
    }

    /// Sends what is due in one district's outbox; returns (sent, failed).
    pub async fn dispatch(
        &self,
        pool: &DbPool,
        tenant_id: Uuid,
    ) -> Result<(usize, usize), MailError> {
        let mut tx = TenantTx::begin(pool, tenant_id).await?;
        let due = QueuedMail::claim_due(&mut tx, 50).await?;
        let (mut sent, mut failed) = (0, 0);
        for mail in due {
            match self.send(&mail).await {
                Ok(()) => {
                    QueuedMail::mark_sent(&mut tx, mail.id).await?;
                    sent += 1;
                }
                Err(error) => {
                    // Back off: 1, 2, 4 … minutes, at most a day.
                    let minutes = 1i64 << mail.attempts.clamp(0, 10);
                    let next = Utc::now() + chrono::Duration::minutes(minutes.min(24 * 60));
                    tracing::warn!(mail.id = %mail.id, attempts = mail.attempts + 1, error = %error, "mail not sent");
                    QueuedMail::mark_failed(&mut tx, mail.id, &error, next).await?;
                    failed += 1;
                }
            }
        }
        tx.commit().await?;
        Ok((sent, failed))
    }
}
