//! Prometheus metrics: request counts by route and status class, a latency histogram, pool state.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use nuanxin_db::pool::PoolStatus;

use crate::registry::near::NearStatus;

const BUCKETS_MS: [u64; 10] = [1, 2, 5, 10, 20, 50, 100, 250, 500, 1000];

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    buckets: [AtomicU64; 10],
    latency_count: AtomicU64,
    latency_sum_us: AtomicU64,
}

impl Metrics {
    /// Counts a finished request. `route` is the matched pattern (`/api/v1/families/{id}`), never the path,
    /// so identifiers do not end up in metrics.
    pub fn observe(&self, method: &str, route: &str, status: u16, micros: u64) {
        if let Ok(mut map) = self.requests.lock() {
            *map.entry((method.to_owned(), route.to_owned(), status))
                .or_insert(0) += 1;
        }
        for (bucket, limit) in self.buckets.iter().zip(BUCKETS_MS) {
            if micros <= limit * 1000 {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us.fetch_add(micros, Ordering::Relaxed);
    }

    /// The text exposition format.
    pub fn render(&self, pool: &PoolStatus, near: &NearStatus) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP nuanxin_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE nuanxin_http_requests_total counter\n");
        if let Ok(map) = self.requests.lock() {
            for ((method, route, status), n) in map.iter() {
                let _ = writeln!(out, "nuanxin_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}");
            }
        }
        out.push_str("# HELP nuanxin_http_request_duration_seconds Request latency.\n");
        out.push_str("# TYPE nuanxin_http_request_duration_seconds histogram\n");
        for (bucket, limit) in self.buckets.iter().zip(BUCKETS_MS) {
            let _ = writeln!(
                out,
                "nuanxin_http_request_duration_seconds_bucket{{le=\"{}\"}} {}",
                limit as f64 / 1000.0,
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "nuanxin_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "nuanxin_http_request_duration_seconds_sum {}",
            self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "nuanxin_http_request_duration_seconds_count {count}");
        out.push_str("# HELP nuanxin_db_pool_connections Database pool connections.\n# TYPE nuanxin_db_pool_connections gauge\n");
        let _ = writeln!(
            out,
            "nuanxin_db_pool_connections{{state=\"open\"}} {}",
            pool.open
        );
        let _ = writeln!(
            out,
            "nuanxin_db_pool_connections{{state=\"idle\"}} {}",
            pool.idle
        );
        let _ = writeln!(
            out,
            "nuanxin_db_pool_connections{{state=\"max\"}} {}",
            pool.max
        );
        out.push_str("# HELP nuanxin_near_families Families this node keeps in memory (registry::near).\n# TYPE nuanxin_near_families gauge\n");
        let _ = writeln!(out, "nuanxin_near_families{{state=\"kept\"}} {}", near.kept);
        let _ = writeln!(
            out,
            "nuanxin_near_families{{state=\"max\"}} {}",
            near.capacity
        );
        out.push_str("# HELP nuanxin_near_families_listening Whether this node hears of family changes (else it keeps none).\n# TYPE nuanxin_near_families_listening gauge\n");
        let _ = writeln!(
            out,
            "nuanxin_near_families_listening {}",
            u8::from(near.listening)
        );
        out.push_str("# HELP nuanxin_verification_index What this node's verification indexes hold (sharing::held).\n# TYPE nuanxin_verification_index gauge\n");
        let _ = writeln!(
            out,
            "nuanxin_verification_index{{held=\"districts\"}} {}",
            near.held.districts
        );
        let _ = writeln!(
            out,
            "nuanxin_verification_index{{held=\"parents\"}} {}",
            near.held.parents
        );
        out
    }
}

/// The jobs' lines: when each job last succeeded for the district that has waited longest, as Unix
/// seconds (0: it never succeeded for some district). Alert on `time() - value`.
pub fn render_jobs(jobs: &[(String, Option<chrono::DateTime<chrono::Utc>>)]) -> String {
    let mut out = String::from(
        "# HELP nuanxin_job_last_success_seconds When the job last succeeded, for the district that has waited longest, any node.\n# TYPE nuanxin_job_last_success_seconds gauge\n",
    );
    for (job, at) in jobs {
        let _ = writeln!(
            out,
            "nuanxin_job_last_success_seconds{{job=\"{job}\"}} {}",
            at.map_or(0, |t| t.timestamp())
        );
    }
    out
}
