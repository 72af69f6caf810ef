//! Property tests of condition evaluation, visibility and submission.
