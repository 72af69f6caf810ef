//! The tool's own line item of a placement whose launches carry no `lineitem` claim: found in
//! the platform's line items (resource link id and tag) or created there, then remembered.

use diesel::prelude::*;

use crate::store::schema::ags_line_items;
use crate::store::{DbConn, RunOnBackend, StoreResult, now_micros};

/// The line item URL remembered for a placement.
pub fn find(conn: &mut DbConn, resource_link_id: &str) -> StoreResult<Option<String>> {
    Ok(ags_line_items::table
        .find(resource_link_id)
        .select(ags_line_items::lineitem_url)
        .get_result_on(conn)
        .optional()?)
}

/// Remembers the line item of a placement (the first one remembered wins).
pub fn remember(
    conn: &mut DbConn,
    resource_link_id: &str,
    lineitem_url: &str,
    created_by_tool: bool,
) -> StoreResult<String> {
    if let Some(known) = find(conn, resource_link_id)? {
        return Ok(known);
    }
    let inserted = diesel::insert_into(ags_line_items::table)
        .values((
            ags_line_items::resource_link_id.eq(resource_link_id),
            ags_line_items::lineitem_url.eq(lineitem_url),
            ags_line_items::created_by_tool.eq(created_by_tool),
            ags_line_items::created_at.eq(now_micros()),
        ))
        .execute_on(conn);
    match inserted {
        Ok(_) => Ok(lineitem_url.to_string()),
        // Another worker remembered one at the same time: use theirs.
        Err(e) if crate::store::is_unique_violation(&e) => {
            Ok(find(conn, resource_link_id)?.unwrap_or_else(|| lineitem_url.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}
