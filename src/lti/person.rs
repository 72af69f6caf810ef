//! The one shape of a person in the tool: who someone is as the platform describes them, in a
//! launch or a roster; the tool's users and roster members carry it.

use serde::{Deserialize, Serialize};

/// A person as the platform describes them (empty strings for what it did not send).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Person {
    /// The LTI `sub` (Moodle: the user id), unique per registration.
    pub sub: String,
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    /// `lis.person_sourcedid`: the student number in French universities.
    pub person_sourcedid: String,
    pub username: String,
}
