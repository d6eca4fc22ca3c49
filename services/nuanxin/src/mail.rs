//! E-mail: the dispatcher that drains the transactional outbox through SMTP, or into a folder of .eml
//! files when no SMTP server is configured.
//!
//! Lease, commit, send, mark: a dispatch leases a batch of due messages (committed at once, so no
//! transaction is open while SMTP talks), sends them over a few SMTP connections at once, and marks
//! them sent or failed in one short transaction that checks the lease is still its own. Two dispatchers
//! never hold one message's lease together, so none is sent twice while a lease holds. A dispatcher
//! that dies after sending and before marking leaves the lease to expire; the message is then sent again
//! with the same Message-ID, `<outbox-id@nuanxin>`, by which the receiving side recognises the repeat.
//!
//! [`Mailer::drain`] sends while there is work: rounds of one batch per district that has due mail, so
//! a district with ten thousand messages takes its turn beside the others instead of before them. The
//! database tells every node when mail is queued (a trigger's `NOTIFY nuanxin_mail`, delivered at
//! commit); [`listen`] turns it into a wake-up of the mail job, which otherwise looks every few seconds.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::{FutureExt, StreamExt, TryStreamExt};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use nuanxin_db::models::mail::QueuedMail;
use nuanxin_db::pool::{DbPool, TenantTx, TxError};
use nuanxin_ids::TenantId;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::configuration::MailSettings;

/// How long a lease holds: a dispatch sends only while this much is left of it, minus one SMTP timeout.
const LEASE: Duration = Duration::from_secs(300);
/// An SMTP exchange gives up after this long.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages leased per dispatch.
const BATCH: i64 = 100;
/// Messages of one batch in flight at once, each on its own SMTP connection.
const SENDS_AT_ONCE: usize = 4;
/// Districts dispatched at once in a round of [`Mailer::drain`].
const DISTRICTS_AT_ONCE: usize = 4;
/// SMTP connections kept open between batches: every send of a full round.
const SMTP_POOL: u32 = 16;
/// A run of the mail job drains for at most this long (its claim lasts longer), and the next goes on.
pub const DRAIN_FOR: Duration = Duration::from_secs(240);
/// The channel the outbox's trigger notifies on every commit that queued mail.
const CHANNEL: &str = "nuanxin_mail";

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
    /// Woken when mail was queued (see [`listen`]).
    queued: Arc<Notify>,
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
                    .pool_config(PoolConfig::new().max_size(SMTP_POOL))
                    .build(),
            )
        };
        Ok(Mailer {
            from,
            transport,
            queued: Arc::new(Notify::new()),
        })
    }

    /// Notified when mail was queued on any node (and committed).
    pub fn queued(&self) -> Arc<Notify> {
        self.queued.clone()
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

    /// Sends one batch of what is due in one district's outbox; returns (sent, failed).
    pub async fn dispatch(
        &self,
        pool: &DbPool,
        tenant_id: TenantId,
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
        if due.is_empty() {
            return Ok((0, 0));
        }
        let outcomes: Vec<(QueuedMail, Option<Result<(), String>>)> =
            futures_util::stream::iter(due)
                .map(|mail| async move {
                    // Never send on a lease that may run out before the exchange ends.
                    if leased_at.elapsed() + SMTP_TIMEOUT * 2 > LEASE {
                        return (mail, None);
                    }
                    let outcome = self.send(&mail).await;
                    (mail, Some(outcome))
                })
                .buffer_unordered(SENDS_AT_ONCE)
                .collect()
                .await;
        let sent_ids: Vec<Uuid> = outcomes
            .iter()
            .filter(|(_, o)| matches!(o, Some(Ok(()))))
            .map(|(m, _)| m.id)
            .collect();
        let mut failed = 0;
        let mut tx = TenantTx::begin(pool, tenant_id).await?;
        let held = QueuedMail::mark_sent_many(&mut tx, &sent_ids, lease_id).await?;
        for (mail, outcome) in &outcomes {
            if let Some(Err(error)) = outcome {
                failed += 1;
                tracing::warn!(mail.id = %mail.id, attempts = mail.attempts + 1, error = %error, "mail not sent");
                let next = Utc::now() + retry_delay(mail.attempts);
                QueuedMail::mark_failed(&mut tx, mail.id, lease_id, error, next).await?;
            }
        }
        if outcomes.iter().any(|(_, o)| o.is_none()) {
            QueuedMail::release(&mut tx, lease_id).await?;
        }
        tx.commit().await?;
        if held < sent_ids.len() {
            tracing::warn!(
                lost = sent_ids.len() - held,
                "mail lease lost before its outcome was recorded; another dispatch sends it again under the same Message-ID"
            );
        }
        Ok((sent_ids.len(), failed))
    }

    /// Sends what is due in these districts' outboxes until none is left or `until`: rounds of one
    /// batch per district that still had mail, a few districts at once, so that no district waits for
    /// another's backlog. Returns (sent, failed). It takes the wake-up of mail queued meanwhile (the
    /// caller waits for the next).
    pub async fn drain(
        &self,
        pool: &DbPool,
        tenants: Vec<TenantId>,
        until: Instant,
    ) -> Result<(usize, usize), MailError> {
        let (mut sent, mut failed) = (0, 0);
        let mut busy = tenants.clone();
        while !busy.is_empty() && Instant::now() < until {
            // Mail committed meanwhile may be a district's that had none: every district is asked
            // again, so it takes its turn in the next round rather than after the others' backlog.
            if self.queued.notified().now_or_never().is_some() {
                busy.clone_from(&tenants);
            }
            let round: Vec<(TenantId, (usize, usize))> = futures_util::stream::iter(busy)
                .map(|tenant| async move {
                    Ok::<_, MailError>((tenant, self.dispatch(pool, tenant).await?))
                })
                .buffer_unordered(DISTRICTS_AT_ONCE)
                .try_collect()
                .await?;
            busy = Vec::new();
            for (tenant, (s, f)) in round {
                sent += s;
                failed += f;
                if s + f > 0 {
                    busy.push(tenant);
                }
            }
        }
        Ok((sent, failed))
    }
}

/// Wakes the node's mail job whenever a commit queued mail, on this node or any other: a connection of
/// its own (not the pool's: a listening session must stay) `LISTEN`s on the outbox trigger's channel.
/// Reconnects after a second when the database goes away; the job's own ticks cover the gap.
pub async fn listen(database_url: String, queued: Arc<Notify>) {
    loop {
        match AsyncPgConnection::establish(&database_url).await {
            Ok(mut conn) => {
                if let Err(e) = diesel::sql_query(format!("LISTEN {CHANNEL}"))
                    .execute(&mut conn)
                    .await
                {
                    tracing::warn!(error = %e, "cannot listen for queued mail");
                } else {
                    // A wake-up now too: mail queued while no one listened is not left waiting.
                    queued.notify_one();
                    let mut notifications = std::pin::pin!(conn.notifications_stream());
                    while let Some(Ok(_)) = notifications.next().await {
                        queued.notify_one();
                    }
                    tracing::warn!("the queued-mail listener lost its connection");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot connect to listen for queued mail"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
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
