//! What kind of failure an error is: the one vocabulary every domain error answers with
//! (`kind()`, beside its `code()` that names the message in the catalogue), and that each
//! surface maps once (`web::error` to HTTP statuses).

/// The sort of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The request is incomplete or malformed.
    Invalid,
    /// Who asks could not be authenticated (a launch's token, state or session).
    Unauthenticated,
    /// Who asks may not do this.
    Forbidden,
    /// Nothing is there (or nothing the asker may know of).
    NotFound,
    /// The address does not take this method.
    MethodNotAllowed,
    /// The request no longer fits the state of what it changes.
    Conflict,
    /// What the request needs is not ready yet (e.g. no questionnaire published).
    Unavailable,
    /// A platform the tool depends on did not answer as it should.
    Upstream,
    /// A fault of the tool itself.
    Internal,
}
