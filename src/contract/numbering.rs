//! Contract numbers: `CPRE-2025-000042`, unique, readable, one counter per academic year.

use crate::store::{DbConn, StoreResult, contracts};

/// The number shown to people.
pub fn format(scope: &str, value: i64) -> String {
    format!("CPRE-{scope}-{value:06}")
}

/// Takes the next number of the year, in the caller's (signing) transaction.
pub fn next(conn: &mut DbConn, academic_year: &str) -> StoreResult<String> {
    let scope = contracts::counter_scope(academic_year);
    let value = contracts::next_counter_value(conn, &scope)?;
    Ok(format(&scope, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_readable() {
        assert_eq!(contracts::counter_scope("2025-2026"), "2025");
        assert_eq!(format("2025", 42), "CPRE-2025-000042");
        assert_eq!(format("2025", 1_234_567), "CPRE-2025-1234567");
    }
}
