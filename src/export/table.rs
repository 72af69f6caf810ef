//! Tabular exports: CSV (semicolon-separated, UTF-8 with BOM, as French Excel opens it
//! without an import wizard) and XLSX (bold frozen header, filters, readable widths).

use std::io::Write;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("write: {0}")]
    Io(#[from] std::io::Error),
}

/// A table to export: a sheet name, the column headers, the rows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Sheet name (XLSX; at most 31 characters are kept) and document title.
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Writes the table as CSV. Cells starting with `=`, `+`, `-`, `@` are prefixed with `'`
/// so that a spreadsheet never evaluates text a student typed as a formula.
pub fn write_csv<W: Write>(table: &Table, out: W) -> Result<W, ExportError> {
    let mut writer = csv_start(out, &table.headers)?;
    for row in &table.rows {
        csv_row(&mut writer, row)?;
    }
    csv_finish(writer)
}

/// Starts a CSV stream: the byte-order mark, then the header row.
pub fn csv_start<W: Write>(mut out: W, headers: &[String]) -> Result<csv::Writer<W>, ExportError> {
    out.write_all("\u{feff}".as_bytes())?;
    let mut writer = csv::WriterBuilder::new().delimiter(b';').from_writer(out);
    csv_row(&mut writer, headers)?;
    Ok(writer)
}

/// Writes one row of a CSV stream (formulas neutralised).
pub fn csv_row<W: Write>(writer: &mut csv::Writer<W>, row: &[String]) -> Result<(), ExportError> {
    writer.write_record(row.iter().map(|c| neutralise(c)))?;
    Ok(())
}

/// Ends a CSV stream and returns its output.
pub fn csv_finish<W: Write>(mut writer: csv::Writer<W>) -> Result<W, ExportError> {
    writer.flush()?;
    writer
        .into_inner()
        .map_err(|e| ExportError::Io(std::io::Error::other(e.to_string())))
}

/// Writes the table as an XLSX workbook and returns its bytes.
pub fn write_xlsx(table: &Table) -> Result<Vec<u8>, ExportError> {
    let mut sheet = XlsxSheet::new(&table.title, &table.headers)?;
    for row in &table.rows {
        sheet.row(row)?;
    }
    sheet.finish()
}

/// An XLSX workbook written row by row (constant memory: rows go to a temporary file):
/// bold frozen header, filters, widths from the headers.
pub struct XlsxSheet {
    workbook: rust_xlsxwriter::Workbook,
    wrap: rust_xlsxwriter::Format,
    columns: u16,
    next_row: u32,
}

impl XlsxSheet {
    /// A workbook with one sheet named after `title` and its header row.
    pub fn new(title: &str, headers: &[String]) -> Result<XlsxSheet, ExportError> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold().set_text_wrap();
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        let name: String = title
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        if !name.trim().is_empty() {
            sheet.set_name(name.trim())?;
        }
        for (col, header) in headers.iter().enumerate() {
            let col = u16::try_from(col).unwrap_or(u16::MAX);
            let width = (header.chars().count() as f64 + 2.0).clamp(12.0, 40.0);
            sheet.set_column_width(col, width)?;
            sheet.write_string_with_format(0, col, header, &bold)?;
        }
        let columns = u16::try_from(headers.len()).unwrap_or(u16::MAX);
        if columns > 0 {
            sheet.set_freeze_panes(1, 0)?;
        }
        Ok(XlsxSheet {
            workbook,
            wrap: Format::new().set_text_wrap(),
            columns,
            next_row: 1,
        })
    }

    /// Appends a row.
    pub fn row(&mut self, row: &[String]) -> Result<(), ExportError> {
        let r = self.next_row;
        let sheet = self.workbook.worksheet_from_index(0)?;
        for (col, cell) in row.iter().enumerate() {
            let col = u16::try_from(col).unwrap_or(u16::MAX);
            if cell.contains('\n') {
                sheet.write_string_with_format(r, col, cell, &self.wrap)?;
            } else {
                sheet.write_string(r, col, cell)?;
            }
        }
        self.next_row += 1;
        Ok(())
    }

    /// The workbook's bytes.
    pub fn finish(mut self) -> Result<Vec<u8>, ExportError> {
        if self.columns > 0 {
            let sheet = self.workbook.worksheet_from_index(0)?;
            sheet.autofilter(0, 0, self.next_row - 1, self.columns - 1)?;
        }
        Ok(self.workbook.save_to_buffer()?)
    }
}

fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table {
            title: "L1 Mathématiques".into(),
            headers: vec!["Nom".into(), "Numéro".into(), "Aménagements".into()],
            rows: vec![
                vec![
                    "Élodie Crémieux".into(),
                    "22500001".into(),
                    "Tiers-temps; salle isolée".into(),
                ],
                vec![
                    "=HYPERLINK(\"x\")".into(),
                    "22500002".into(),
                    "ligne 1\nligne 2".into(),
                ],
            ],
        }
    }

    #[test]
    fn csv_is_semicolon_separated_utf8_with_bom_and_neutralises_formulas() {
        let bytes = write_csv(&sample(), Vec::new()).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{feff}'));
        let mut lines = text.trim_start_matches('\u{feff}').lines();
        assert_eq!(lines.next(), Some("Nom;Numéro;Aménagements"));
        assert!(
            text.contains("\"Tiers-temps; salle isolée\""),
            "a cell with ; is quoted"
        );
        assert!(text.contains("'=HYPERLINK"), "formula neutralised: {text}");
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[1][2], "ligne 1\nligne 2");
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let bytes = write_xlsx(&sample()).unwrap();
        assert_eq!(&bytes[..2], b"PK", "XLSX is a zip archive");
        assert!(bytes.len() > 1000);
    }
}
