//! E-mail: the dispatcher that drains the transactional outbox through SMTP, or into a folder of .eml
//! files when no SMTP server is configured.
//!
//! Lease, commit, send, mark: a dispatch leases a batch of due messages (committed at once, so no
//! transaction is open while SMTP talks), sends each, and marks each sent or failed in a short transaction
//! that checks the lease is still its own. Two dispatchers never hold one message's lease together, so
//! none is sent twice while a lease holds. A dispatcher that dies after sending and before marking leaves
//! the lease to expire; the message is then sent again with the same Message-ID, `<outbox-id@nuanxin>`,
//! by which the receiving side recognises the repeat.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use nuanxin_db::models::mail::QueuedMail;
use nuanxin_db::pool::{DbPool, TenantTx, TxError};
use uuid::Uuid;

use crate::configuration::MailSettings;

/// How long a lease holds: a dispatch sends only while this much is left of it, minus one SMTP timeout.
const LEASE: Duration = Duration::from_secs(300);
/// An SMTP exchange gives up after this long.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages leased per dispatch.
const BATCH: i64 = 50;

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
                    .timeout(Some(SMTP_TIMEOUT))
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
            .message_id(Some(message_id(mail.id)))
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
        let leased_at = Instant::now();
        let lease_id = Uuid::new_v4();
        let lease_secs = i64::try_from(LEASE.as_secs()).unwrap_or(i64::MAX);
        let due = {
            let mut tx = TenantTx::begin(pool, tenant_id).await?;
            let due = QueuedMail::lease_due(&mut tx, lease_id, lease_secs, BATCH).await?;
            tx.commit().await?;
            due
        };
        let (mut sent, mut failed) = (0, 0);
        for mail in &due {
            // Never send on a lease that may run out before the exchange ends.
            if leased_at.elapsed() + SMTP_TIMEOUT * 2 > LEASE {
                break;
            }
            let outcome = self.send(mail).await;
            let mut tx = TenantTx::begin(pool, tenant_id).await?;
            let held = match &outcome {
                Ok(()) => {
                    sent += 1;
                    QueuedMail::mark_sent(&mut tx, mail.id, lease_id).await?
                }
                Err(error) => {
                    failed += 1;
                    tracing::warn!(mail.id = %mail.id, attempts = mail.attempts + 1, error = %error, "mail not sent");
                    let next = Utc::now() + retry_delay(mail.attempts);
                    QueuedMail::mark_failed(&mut tx, mail.id, lease_id, error, next).await?
                }
            };
            tx.commit().await?;
            if !held {
                tracing::warn!(mail.id = %mail.id, "mail lease lost before its outcome was recorded; another dispatch sends it again under the same Message-ID");
            }
        }
        if sent + failed < due.len() {
            let mut tx = TenantTx::begin(pool, tenant_id).await?;
            QueuedMail::release(&mut tx, lease_id).await?;
            tx.commit().await?;
        }
        Ok((sent, failed))
    }
}

/// The Message-ID of an outbox message: its idempotency key, the same on every attempt.
pub fn message_id(outbox_id: Uuid) -> String {
    format!("<{outbox_id}@nuanxin>")
}

/// How long to wait after a message's attempt number `attempts` failed: 1, 2, 4 … minutes, at most a day.
fn retry_delay(attempts: i32) -> chrono::Duration {
    let minutes = 1i64 << attempts.clamp(0, 10);
    chrono::Duration::minutes(minutes.min(24 * 60))
}
