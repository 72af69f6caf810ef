//! Exports: tables as CSV or XLSX (one row per contract), documents as PDF (one contract).
//!
//! Both formats take the same [`Table`] (headers, then rows of strings) so that a formation's
//! export looks the same in both; CSV is written row by row to any `io::Write` (streamed),
//! XLSX is assembled in memory in constant-memory mode (rows flushed to a temporary file).

pub mod pdf;
pub mod table;

pub use table::{Table, XlsxSheet, csv_finish, csv_row, csv_start, write_csv, write_xlsx};
