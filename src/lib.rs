//! cpre: an LTI 1.3 tool that runs the Contrat Pédagogique pour la Réussite Étudiante in Moodle.
pub mod questionnaire;
