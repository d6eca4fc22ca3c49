//! Records of reads. A full read of a family is appended to the audit log by one background writer in
//! batches, instead of by an insert inside the read's own transaction.
//!
//! Why: an insert turns every read into a write transaction, and that halves what PostgreSQL serves
//! (README "Benchmarks"); a batch of a few hundred records costs one transaction.
//!
//! What it guarantees: the handler hands the record over before the response leaves. When the queue is
//! full the read waits for room (back-pressure: under load, reads slow down to the pace the log is
//! written at, and none fails); only when the writer has made no room for [`WAIT`] — the database is
//! down — is the read refused with 503 rather than served unrecorded. A crash of the service loses what
//! is still queued, the reads of the last milliseconds; a clean shutdown writes the queue out first
//! ([`ReadLog::flush`]).

use std::time::Duration;

use chrono::Utc;
use nuanxin_db::models::audit::NewAuditEvent;
use nuanxin_db::pool::{DbPool, TxError};
use tokio::sync::{mpsc, oneshot};

/// How many records may wait for the writer: about a second of reads at full speed.
pub const QUEUE: usize = 32_768;
/// At most this many records per batch: one statement appends them all.
const BATCH: usize = 8_000;
/// How long a read waits for room in a full queue before it is refused.
pub const WAIT: Duration = Duration::from_secs(2);
/// The writer lets records gather this long before a batch: nobody waits for it, and under load a
/// batch then holds many records for the price of one statement.
const LINGER: Duration = Duration::from_millis(5);
/// Retries of a failed write start this far apart and double up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(50);
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// The queue of read records and its writer.
pub struct ReadLog {
    sender: mpsc::Sender<Message>,
}

// Nearly every message is a read: boxing it would cost an allocation per read to shrink the rare flush.
#[expect(clippy::large_enum_variant)]
enum Message {
    Read(NewAuditEvent),
    Flush(oneshot::Sender<()>),
}

#[derive(Debug, thiserror::Error)]
#[error("the audit log is not keeping up with reads")]
pub struct ReadLogFull;

impl ReadLog {
    /// Starts the writer on the current runtime with room for `queue` waiting records. It stops once
    /// every `ReadLog` handle is gone and the queue is written out.
    pub fn start(pool: DbPool, queue: usize) -> ReadLog {
        let (sender, receiver) = mpsc::channel(queue);
        tokio::spawn(write_out(pool, receiver));
        ReadLog { sender }
    }

    /// Queues the record of a read that is about to be answered, stamped with the time of the read;
    /// waits up to `wait` while the queue is full.
    pub async fn record(
        &self,
        mut event: NewAuditEvent,
        wait: Duration,
    ) -> Result<(), ReadLogFull> {
        event.occurred_at.get_or_insert_with(Utc::now);
        match self.sender.try_send(Message::Read(event)) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(message)) => {
                match tokio::time::timeout(wait, self.sender.send(message)).await {
                    Ok(Ok(())) => Ok(()),
                    _ => Err(ReadLogFull),
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(ReadLogFull),
        }
    }

    /// Waits until every record queued before this call is in the database.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.sender.send(Message::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

async fn write_out(pool: DbPool, mut receiver: mpsc::Receiver<Message>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut flushes = Vec::new();
    while let Some(first) = receiver.recv().await {
        tokio::time::sleep(LINGER).await;
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Read(event) => batch.push(event),
                Message::Flush(done) => flushes.push(done),
            }
            next = if batch.len() < BATCH {
                receiver.try_recv().ok()
            } else {
                None
            };
        }
        // One statement for the whole batch, whatever districts it spans, in the order of the reads.
        write_until_done(&pool, &batch).await;
        batch.clear();
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Writes a batch of records, retrying until the database takes them: meanwhile the queue fills
/// and reads are refused, so nothing is served that is not recorded.
async fn write_until_done(pool: &DbPool, events: &[NewAuditEvent]) {
    let mut pause = FIRST_PAUSE;
    while let Err(e) = write(pool, events).await {
        tracing::warn!(error = %e, records = events.len(), "writing read records failed; retrying");
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

async fn write(pool: &DbPool, events: &[NewAuditEvent]) -> Result<(), TxError> {
    if events.is_empty() {
        return Ok(());
    }
    NewAuditEvent::append(pool, events).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn read() -> NewAuditEvent {
        NewAuditEvent {
            tenant_id: nuanxin_ids::TenantId::generate(),
            occurred_at: None,
            actor: "user:test".into(),
            action: "family.read".into(),
            object_type: "family".into(),
            object_id: Uuid::new_v4().to_string(),
            detail: serde_json::json!({}),
            request_id: None,
        }
    }

    #[tokio::test]
    async fn a_full_queue_makes_reads_wait_for_room_before_refusing() {
        // No database: the writer keeps retrying its first batch, so the queue never drains.
        let pool = nuanxin_db::pool::build_pool("postgres://nuanxin_app@127.0.0.1:1/none", 1)
            .expect("pool");
        let log = std::sync::Arc::new(ReadLog::start(pool, 2));
        let short = Duration::from_millis(100);
        for _ in 0..2 {
            log.record(read(), short).await.expect("room in the queue");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        for _ in 0..2 {
            log.record(read(), short)
                .await
                .expect("room while the writer retries");
        }
        // Full now: the read waits its time for room, and only then is refused.
        let started = std::time::Instant::now();
        assert!(log.record(read(), short).await.is_err());
        assert!(
            started.elapsed() >= short,
            "the read waited before it was refused"
        );
    }

    #[tokio::test]
    async fn reads_are_refused_once_the_writer_cannot_keep_up() {
        // Nothing listens on port 1: every write fails and the writer keeps retrying its first batch.
        let pool = nuanxin_db::pool::build_pool("postgres://nuanxin_app@127.0.0.1:1/none", 1)
            .expect("pool");
        let log = ReadLog::start(pool, 8);
        let pause = || tokio::time::sleep(Duration::from_millis(200));
        let now = Duration::ZERO;
        for _ in 0..8 {
            log.record(read(), now).await.expect("room in the queue");
        }
        // The writer takes the queued records as its batch and keeps failing to write them.
        pause().await;
        for _ in 0..8 {
            log.record(read(), now)
                .await
                .expect("room again while the writer retries");
        }
        assert!(
            log.record(read(), now).await.is_err(),
            "a ninth waiting read is refused"
        );
        pause().await;
        assert!(
            log.record(read(), now).await.is_err(),
            "nothing drains without a database"
        );
    }
}
