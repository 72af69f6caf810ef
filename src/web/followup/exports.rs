//! CSV and XLSX exports of a formation or of every formation followed: one row per contract, one column per question. The CSV is streamed as it is read (batches of contracts); the XLSX is built in constant memory. Each export is written to the audit log.

use std::io::Write;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::contract::ContractError;
use crate::course::routing::Refusal;
use crate::export::table::ExportError;
use crate::export::{XlsxSheet, csv_finish, csv_row, csv_start};
use crate::followup::Scope;
use crate::followup::export::Export;
use crate::state::AppState;
use crate::store::audit::{Action, Target};
use crate::web::error::{AppError, AppResult};

use super::super::design::write;
use super::super::staff::Staff;
use super::Follower;
use super::home::YearQuery;
use crate::followup::year_of;

/// `{format}` of the course export.
#[derive(Debug, Deserialize)]
pub struct FormatPath {
    pub format: String,
}

/// `{code}/export/{format}`.
#[derive(Debug, Deserialize)]
pub struct FormationFormatPath {
    pub code: String,
    pub format: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Xlsx,
}

fn format_of(s: &str) -> AppResult<Format> {
    match s {
        "csv" => Ok(Format::Csv),
        "xlsx" => Ok(Format::Xlsx),
        _ => Err(AppError::NotFound),
    }
}

/// `GET /s/{token}/suivi/export/{csv|xlsx}`: every formation followed.
pub async fn course(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<FormatPath>,
    query: web::Query<YearQuery>,
) -> AppResult<HttpResponse> {
    let f = Follower::of(staff)?;
    let format = format_of(&path.format)?;
    let scope = f.follows();
    let name = slug(&f.session.context.label);
    run(&state, &f, scope, format, name, query.into_inner().annee).await
}

/// `GET /s/{token}/suivi/formations/{code}/export/{csv|xlsx}`.
pub async fn formation(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<FormationFormatPath>,
    query: web::Query<YearQuery>,
) -> AppResult<HttpResponse> {
    let f = Follower::of(staff)?;
    let format = format_of(&path.format)?;
    let scoped = f.formation(&path.code)?;
    let scope = f.follows().only(&scoped.formation.id);
    let name = slug(&scoped.formation.code);
    run(&state, &f, scope, format, name, query.into_inner().annee).await
}

/// A file name part: ASCII letters, digits and dashes.
fn slug(s: &str) -> String {
    let out: String = crate::followup::fold(s)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let out = out.trim_matches('-').to_owned();
    if out.is_empty() { "cours".into() } else { out }
}

async fn run(
    state: &AppState,
    f: &Follower,
    scope: Scope,
    format: Format,
    name: String,
    asked_year: Option<String>,
) -> AppResult<HttpResponse> {
    let (actor, lang, tz) = (f.actor.clone(), f.session.lang(), f.session.tz);
    let ctx = scope.context_id.clone();
    let fmt = if format == Format::Csv { "csv" } else { "xlsx" };
    let (year, prepared) = write(
        state,
        move |conn| -> Result<(String, Export), ContractError> {
            let year = year_of(conn, &ctx, asked_year.as_deref())?
                .ok_or(ContractError::Refused(Refusal::NotConfigured))?;
            let export = Export::prepare(conn, &scope, &year, lang, tz)?;
            actor.record(
                conn,
                &ctx,
                Action::Export,
                (Target::Contracts, None),
                serde_json::json!({
                    "format": fmt,
                    "year": year,
                    "formations": scope.formation_ids,
                    "rows": export.len(),
                }),
            )?;
            Ok((year, export))
        },
    )
    .await??;
    let file = format!("cpre-{name}-{year}.{fmt}");
    let disposition = (
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{file}\""),
    );
    let pool = state.db.clone();
    match format {
        Format::Csv => {
            let (tx, mut rx) = mpsc::channel::<Result<web::Bytes, std::io::Error>>(4);
            tokio::task::spawn_blocking(move || {
                let out = ChannelWriter {
                    tx: tx.clone(),
                    buf: Vec::with_capacity(CHUNK),
                };
                if let Err(e) = stream_csv(&pool, &prepared, out) {
                    tracing::error!(error = %e, "CSV export failed while streaming");
                    let _ = tx.blocking_send(Err(std::io::Error::other("export interrupted")));
                }
            });
            let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header(disposition)
                .streaming(body))
        }
        Format::Xlsx => {
            let title = name.clone();
            let bytes = web::block(move || build_xlsx(&pool, &prepared, &title))
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("XLSX task: {e}")))?
                .map_err(AppError::Internal)?;
            Ok(HttpResponse::Ok()
                .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header(disposition)
                .body(bytes))
        }
    }
}

/// Writes the CSV of a prepared export to `out`, batch by batch.
pub fn stream_csv<W: Write>(
    pool: &crate::store::DbPool,
    prepared: &Export,
    out: W,
) -> anyhow::Result<W> {
    let mut conn = pool.get()?;
    let mut writer = csv_start(out, &prepared.headers)?;
    prepared.rows(&mut conn, |row| csv_row(&mut writer, &row))??;
    Ok(csv_finish(writer)?)
}

/// Builds the XLSX workbook of a prepared export.
pub fn build_xlsx(
    pool: &crate::store::DbPool,
    prepared: &Export,
    title: &str,
) -> anyhow::Result<Vec<u8>> {
    let mut conn = pool.get()?;
    let mut sheet = XlsxSheet::new(title, &prepared.headers)?;
    prepared.rows(&mut conn, |row| -> Result<(), ExportError> {
        sheet.row(&row)
    })??;
    Ok(sheet.finish()?)
}

const CHUNK: usize = 64 * 1024;

/// An `io::Write` that sends what is written to the response in chunks of 64 KiB.
struct ChannelWriter {
    tx: mpsc::Sender<Result<web::Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .blocking_send(Ok(web::Bytes::from(chunk)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = self.send();
    }
}
