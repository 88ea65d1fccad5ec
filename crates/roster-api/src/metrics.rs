//! `/metrics`: request counts by status class and the password hashes' time, in Prometheus'
//! text format.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use roster_core::password::hash_totals;
use std::sync::atomic::{AtomicU64, Ordering};

static BY_CLASS: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];

/// Counts every answered request by its status class.
pub async fn count(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let class = (res.status().as_u16() / 100).clamp(1, 5) as usize - 1;
    BY_CLASS[class].fetch_add(1, Ordering::Relaxed);
    res
}

/// The counters as Prometheus text.
pub async fn render() -> String {
    let mut out = String::from(
        "# HELP roster_http_requests_total HTTP requests answered, by status class.\n# TYPE roster_http_requests_total counter\n",
    );
    for (i, c) in BY_CLASS.iter().enumerate() {
        out.push_str(&format!(
            "roster_http_requests_total{{class=\"{}xx\"}} {}\n",
            i + 1,
            c.load(Ordering::Relaxed)
        ));
    }
    let hashes = hash_totals();
    out.push_str(&format!(
        "# HELP roster_password_hash_seconds Password hashes and verifications, and their time on the hashing threads.\n# TYPE roster_password_hash_seconds summary\nroster_password_hash_seconds_sum {:.9}\nroster_password_hash_seconds_count {}\n",
        hashes.time.as_secs_f64(),
        hashes.count
    ));
    out
}
