//! Who may see and do what in a course: the staff grants recorded in the tool (designers,
//! gestionnaires) next to what the launch says (student, teacher, platform administrator).
//!
//! Being a designer is never inferred from Moodle roles (every teacher is `Instructor`): a
//! platform administrator is one in every course of the platform; anyone else is one when a
//! grant says so (the user who placed the activity by Deep Linking, a grant by a designer, or
//! `cpre course grant`).

pub mod manage;
pub mod scope;
