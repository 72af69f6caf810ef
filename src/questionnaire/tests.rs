//! Tests of the questionnaire engine over the sample questionnaire and generated ones.
