//! The background worker of `cpre serve`: keeps up to `CPRE_GRADES_CONCURRENCY` grade
//! deliveries in flight, sleeps when nothing is due, and runs the roster schedule beside;
//! stops gracefully (in-flight deliveries finish) or is aborted.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::config::Backend;
use crate::state::AppState;
use crate::store::now_micros;

use super::delivery::{self, lease_micros};
use crate::store::outbox;

/// How often the roster schedule looks for courses to synchronise.
const ROSTER_TICK: Duration = Duration::from_secs(600);

/// The running worker.
pub struct Worker {
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Worker {
    /// Starts the delivery loop (and the roster schedule when `CPRE_ROSTER_SYNC_HOURS` > 0).
    pub fn spawn(state: web::Data<AppState>) -> Worker {
        let (shutdown, receiver) = watch::channel(false);
        let mut tasks = vec![tokio::spawn(deliveries(state.clone(), receiver.clone()))];
        if state.settings.roster_sync_hours > 0 {
            tasks.push(tokio::spawn(roster_schedule(state, receiver)));
        }
        tracing::info!("background worker started");
        Worker { shutdown, tasks }
    }

    /// Stops taking work, lets the deliveries in flight finish, and returns.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        tracing::info!("background worker stopped");
    }

    /// Stops at once, as a crash would: a delivery in flight keeps its lease until it expires.
    pub fn abort(self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn deliveries(state: web::Data<AppState>, mut shutdown: watch::Receiver<bool>) {
    let concurrency = state.settings.grades_concurrency;
    let poll = Duration::from_secs(state.settings.grades_poll_seconds.max(1));
    let mut in_flight: JoinSet<()> = JoinSet::new();
    // SQLite has one writer at a time, and a writer that finds the database busy sleeps in
    // SQLite's busy handler: the worker's own writes (claims, bookkeeping) take turns here
    // instead. PostgreSQL takes them concurrently.
    let gate = Arc::new(Semaphore::new(match state.db.backend() {
        Backend::Sqlite => 1,
        Backend::Postgres => Semaphore::MAX_PERMITS,
    }));
    loop {
        if *shutdown.borrow() {
            break;
        }
        // Claim in batches when half the slots are free (fewer claim transactions).
        let mut claimed_none = false;
        if in_flight.len() <= concurrency / 2 {
            let want = i64::try_from(concurrency - in_flight.len()).unwrap_or(1);
            let now = now_micros();
            let lease = lease_micros(&state);
            let claimed = {
                let _permit = gate.acquire().await.ok();
                state
                    .db
                    .run(move |conn| outbox::claim(conn, now, lease, want))
                    .await
            };
            match claimed {
                Ok(rows) => {
                    claimed_none = rows.is_empty();
                    for row in rows {
                        let (state, gate) = (state.clone(), gate.clone());
                        in_flight.spawn(async move {
                            if let Err(e) = delivery::deliver_gated(&state, row, Some(&gate)).await
                            {
                                tracing::error!(error = %e, "grade delivery bookkeeping failed");
                            }
                        });
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "claiming grade deliveries failed");
                    claimed_none = true;
                }
            }
        }
        if in_flight.is_empty() {
            if claimed_none {
                tokio::select! {
                    _ = shutdown.changed() => {}
                    _ = tokio::time::sleep(poll) => {}
                }
            }
            continue;
        }
        tokio::select! {
            _ = in_flight.join_next() => {}
            _ = shutdown.changed() => {}
        }
    }
    // Graceful stop: what is in flight finishes and is recorded.
    while in_flight.join_next().await.is_some() {}
}

async fn roster_schedule(state: web::Data<AppState>, mut shutdown: watch::Receiver<bool>) {
    // Let the server settle before the first round.
    tokio::select! {
        _ = shutdown.changed() => return,
        _ = tokio::time::sleep(Duration::from_secs(30)) => {}
    }
    loop {
        if *shutdown.borrow() {
            break;
        }
        match crate::roster::sync::scheduled_round(&state).await {
            Ok(n) if n > 0 => tracing::info!(courses = n, "roster schedule: courses synchronised"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "roster schedule failed"),
        }
        tokio::select! {
            _ = shutdown.changed() => {}
            _ = tokio::time::sleep(ROSTER_TICK) => {}
        }
    }
}
