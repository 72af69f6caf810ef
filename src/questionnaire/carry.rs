//! Carry-over: which of last year's answers prefill this year's contract.

use super::answers::Answers;
use super::env::Environment;
use super::flow::OptionRef;
use super::index::Questionnaire;
use super::validate::validate;

impl Questionnaire {
    /// The answers to prefill a new contract with, from last year's contract answers.
    ///
    /// Only questions marked `carry_over: true` are taken, when last year's answers have a
    /// value under the same id that is still valid for this year's question: right shape,
    /// within the bounds and pattern, and (for choices) still an option of the questionnaire
    /// or of the formation's list. Visibility is not considered here: a prefilled answer to a
    /// question that turns out hidden is dropped at the first page submission.
    pub fn carry_over(&self, env: &Environment, previous: &Answers) -> Answers {
        let mut out = Answers::new();
        for (_, q) in self.questions() {
            if !q.carry_over {
                continue;
            }
            let Some(value) = previous.get(&q.id) else {
                continue;
            };
            let mut options: Vec<OptionRef<'_>> = Vec::new();
            if let Some(source) = q.choice_source() {
                options.extend(source.options.iter().map(OptionRef::Inline));
                if let Some(items) = source
                    .options_from
                    .and_then(|l| env.prepared().lists.get(l))
                {
                    options.extend(items.iter().map(OptionRef::Item));
                }
            }
            if validate(q, Some(value), &options, env).is_ok() {
                out.insert(q.id.clone(), value.clone());
            }
        }
        out
    }
}
