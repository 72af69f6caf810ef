//! The demo course (`lti-config/demo/`): the local Moodle lab's registration and a course with the sample questionnaire and three formations. Demo only: `cpre demo load` and `cpre serve --demo` load it, `cpre serve` never does.

use std::path::Path;

use super::configure::{self, Applied, ConfigureError};
use super::file;
use crate::questionnaire::{Diagnostic, LoadError};
use crate::registration::{self, RegistrationError};
use crate::store::platforms::{Platform, PlatformSpec, Source};
use crate::store::{DbConn, StoreError};

/// The demo platform's registration, in the demo folder.
pub const PLATFORM_FILE: &str = "platform.toml";
/// The demo course's configuration, in the demo folder.
pub const COURSE_FILE: &str = "course.yaml";

/// Why the demo could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error(transparent)]
    Registration(#[from] RegistrationError),
    #[error(transparent)]
    Invalid(#[from] LoadError),
    #[error(transparent)]
    Configure(#[from] ConfigureError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The demo, read from `dir` and checked (no database).
pub struct Demo {
    pub platform: PlatformSpec,
    pub course: file::CourseFile,
}

impl Demo {
    /// Reads `dir/platform.toml` and `dir/course.yaml`.
    pub fn read(dir: &Path) -> Result<Demo, DemoError> {
        let path = dir.join(PLATFORM_FILE);
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| DemoError::File {
            file: name.clone(),
            message: e.to_string(),
        })?;
        let platform: PlatformSpec = toml::from_str(&text).map_err(|e| DemoError::File {
            file: name,
            message: e.to_string(),
        })?;
        let course = file::read(&dir.join(COURSE_FILE))?;
        Ok(Demo { platform, course })
    }

    /// Problems that do not prevent loading.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.course.warnings
    }

    /// Registers the platform and configures the course, in one transaction (idempotent).
    pub fn load(&self, conn: &mut DbConn) -> Result<(Platform, Applied), DemoError> {
        crate::store::transaction(conn, |c| {
            let platform = registration::register(c, &self.platform, Source::File)?;
            let applied = configure::apply(c, &self.course)?;
            Ok((platform, applied))
        })
    }
}
