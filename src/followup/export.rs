//! Exports of a formation or of the whole scope: one row per contract, identity, formation,
//! state and dates, then one column per question (choices by their labels). Rows are read in
//! batches so that a large course streams without holding every contract in memory.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::Scope;
use crate::contract::ContractError;
use crate::course::{self, versions};
use crate::questionnaire::{
    AnswerValue, Answers, Environment, Identity, QuestionKind, Questionnaire,
};
use crate::store::DbConn;
use crate::store::followup::{self, ExportRow};
use crate::store::ids::{ContractId, FormationId};

/// Contracts read per query.
pub const BATCH: usize = 500;

/// A prepared export: headers, the contracts in order, the questionnaires they use.
pub struct Export {
    pub headers: Vec<String>,
    ids: Vec<ContractId>,
    /// The question of each answer column.
    columns: Vec<String>,
    /// By version id: the questionnaire and its `key vN` label.
    questionnaires: HashMap<String, (Arc<Questionnaire>, String)>,
    lang: String,
    /// The timezone dates are written in.
    tz: chrono_tz::Tz,
}

impl Export {
    /// Reads which contracts (in formation, then name order) and which questions go in the
    /// export of `scope` for `year`.
    pub fn prepare(
        conn: &mut DbConn,
        scope: &Scope,
        year: &str,
        lang: &str,
        tz: chrono_tz::Tz,
    ) -> Result<Export, ContractError> {
        let (ids, version_ids): (Vec<ContractId>, Vec<String>) =
            followup::export_order(conn, &scope.context_id, &scope.formation_ids, year)?
                .into_iter()
                .unzip();
        let mut distinct: Vec<String> = version_ids;
        distinct.sort();
        distinct.dedup();
        let mut loaded = Vec::new();
        for id in &distinct {
            let (row, q) = versions::load_by_id(conn, id)?;
            loaded.push((row.questionnaire_key.clone(), row.version, id.clone(), q));
        }
        // Newest version of each questionnaire first: its order and labels lead.
        loaded.sort_by(|a, b| (&a.0, std::cmp::Reverse(a.1)).cmp(&(&b.0, std::cmp::Reverse(b.1))));
        let m = |key: &str| crate::i18n::message(lang, key);
        let mut headers: Vec<String> = [
            "formation",
            "number",
            "family_name",
            "given_name",
            "student_number",
            "email",
            "state",
            "started_at",
            "signed_at",
            "validated_at",
            "version",
        ]
        .iter()
        .map(|k| m(&format!("followup.export.{k}")))
        .collect();
        let mut columns = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut labels: HashSet<String> = headers.iter().cloned().collect();
        for (_, _, _, q) in &loaded {
            for (_, question) in q.questions() {
                if matches!(question.kind, QuestionKind::Identity(_))
                    || !seen.insert(question.id.clone())
                {
                    continue;
                }
                let mut label = question.label.trim().to_owned();
                if !labels.insert(label.clone()) {
                    label = format!("{label} ({})", question.id);
                }
                headers.push(label);
                columns.push(question.id.clone());
            }
        }
        Ok(Export {
            headers,
            ids,
            columns,
            questionnaires: loaded
                .into_iter()
                .map(|(key, n, id, q)| (id, (q, format!("{key} v{n}"))))
                .collect(),
            lang: lang.to_owned(),
            tz,
        })
    }

    /// Number of contracts exported.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no contract is exported.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Reads the contracts batch by batch and hands each row, in order, to `sink`.
    pub fn rows<E>(
        &self,
        conn: &mut DbConn,
        mut sink: impl FnMut(Vec<String>) -> Result<(), E>,
    ) -> Result<Result<(), E>, ContractError> {
        let mut envs: HashMap<FormationId, Environment> = HashMap::new();
        let state = |s: &str| crate::i18n::message(&self.lang, &format!("followup.state.{s}"));
        let when = |t: Option<i64>| {
            t.map(|t| crate::i18n::format_datetime(t, self.tz))
                .unwrap_or_default()
        };
        for chunk in self.ids.chunks(BATCH) {
            let mut by_id: HashMap<ContractId, ExportRow> = followup::export_rows(conn, chunk)?
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect();
            for id in chunk {
                let Some(fx) = by_id.remove(id) else {
                    continue;
                };
                let formation_id = fx.formation_id.clone();
                if !envs.contains_key(&formation_id) {
                    let row = crate::store::formations::get(conn, &formation_id)?;
                    let env = Environment::with_prepared(
                        course::prepared_formation(&row)?,
                        String::new(),
                        false,
                        Identity::default(),
                    );
                    envs.insert(formation_id.clone(), env);
                }
                let env = envs.get(&formation_id);
                let answers: Answers = serde_json::from_str(&fx.answers)
                    .map_err(|e| ContractError::Corrupt(format!("answers of {id}: {e}")))?;
                let (q, version) = match self.questionnaires.get(&fx.questionnaire_version_id) {
                    Some((q, label)) => (Some(q), label.clone()),
                    None => (None, String::new()),
                };
                let mut row = vec![
                    format!("{} ({})", fx.formation_title, fx.formation_code),
                    fx.number.unwrap_or_default(),
                    fx.family_name,
                    fx.given_name,
                    fx.student_number,
                    fx.email,
                    state(fx.state.as_str()),
                    when(Some(fx.started_at)),
                    when(fx.signed_at),
                    when(fx.validated_at),
                    version,
                ];
                for question_id in &self.columns {
                    row.push(match (answers.get(question_id), q) {
                        (Some(value), Some(q)) => q.display_answer(env, question_id, value),
                        (Some(AnswerValue::Text(t)), None) => t.clone(),
                        _ => String::new(),
                    });
                }
                if let Err(e) = sink(row) {
                    return Ok(Err(e));
                }
            }
        }
        Ok(Ok(()))
    }
}
