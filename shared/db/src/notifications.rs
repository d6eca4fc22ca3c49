//! PostgreSQL notifications (LISTEN): how a service node hears of changes committed by any other.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;

/// Give up on connecting, or on a liveness check, after this long.
const TIMEOUT: Duration = Duration::from_secs(2);

/// A connection of its own that receives the notifications of one channel.
pub struct Listener {
    conn: AsyncPgConnection,
}

/// What [`Listener::next`] saw.
#[derive(Debug, PartialEq, Eq)]
pub enum Heard {
    /// A notification's payload.
    Payload(String),
    /// Nothing for `quiet`, and the connection still answers.
    Quiet,
}

#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("cannot connect: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("{0}")]
    Query(#[from] diesel::result::Error),
    #[error("the connection did not answer in time")]
    TimedOut,
    #[error("the connection is closed")]
    Closed,
}

impl Listener {
    /// Connects to `url` and listens on `channel` (an identifier of ours, never input).
    pub async fn start(url: &str, channel: &'static str) -> Result<Listener, ListenError> {
        let mut conn = tokio::time::timeout(TIMEOUT, AsyncPgConnection::establish(url))
            .await
            .map_err(|_| ListenError::TimedOut)??;
        // Named, so that operators (and tests) can tell it in pg_stat_activity.
        diesel::sql_query(format!("SET application_name = 'nuanxin listen {channel}'"))
            .execute(&mut conn)
            .await?;
        diesel::sql_query(format!("LISTEN {channel}"))
            .execute(&mut conn)
            .await?;
        Ok(Listener { conn })
    }

    /// The next notification; after `quiet` without one, a liveness check of the connection, so a
    /// connection lost without a word is noticed within `quiet` plus a few seconds.
    pub async fn next(&mut self, quiet: Duration) -> Result<Heard, ListenError> {
        let heard = {
            let mut stream = std::pin::pin!(self.conn.notifications_stream());
            tokio::time::timeout(quiet, stream.next()).await
        };
        match heard {
            Ok(Some(notification)) => Ok(Heard::Payload(notification?.payload)),
            Ok(None) => Err(ListenError::Closed),
            Err(_) => {
                tokio::time::timeout(
                    TIMEOUT,
                    diesel::sql_query("SELECT 1").execute(&mut self.conn),
                )
                .await
                .map_err(|_| ListenError::TimedOut)??;
                Ok(Heard::Quiet)
            }
        }
    }
}
