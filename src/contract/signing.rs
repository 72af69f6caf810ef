//! Signing: the canonical signed content, its SHA-256 fingerprint, the contract number, the signed-version history and the gradebook completion, all in one transaction.

use serde::{Deserialize, Serialize};

use super::state::{ContractState, EventKind};
use super::{ContractError, numbering};
use crate::questionnaire::export::{canonical_json, sha256_hex};
use crate::questionnaire::{Answers, Formation};
use crate::store::contracts::{self, ContractRow, NewSignature, SignatureUpdate};
use crate::store::ids::UserId;
use crate::store::outbox::{self, Completion};
use crate::store::{DbConn, StoreError, micros_to_datetime};

/// Format tag of the signed content (changes only if its shape does).
pub const CONTENT_FORMAT: &str = "cpre-contrat/1";

/// What a student signs, stored as canonical JSON (sorted keys, no spaces): its SHA-256 is
/// the contract's fingerprint. It holds everything needed to show the contract again
/// exactly as signed: the questionnaire version, the formation's data at that moment, the
/// identity and the answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedContent {
    /// [`CONTENT_FORMAT`].
    pub format: String,
    pub contract: ContractRef,
    /// The platform's issuer (Moodle's address).
    pub platform: String,
    pub course: CourseRef,
    /// The formation's data when signed (code, title, attributes, lists).
    pub formation: Formation,
    /// Whether the student had signed a contract in an earlier year (`contrat_precedent`).
    pub previous_contract: bool,
    pub questionnaire: QuestionnaireRef,
    pub identity: SignedIdentity,
    /// The answers that count (hidden questions dropped, identity from the launch).
    pub answers: Answers,
    /// Server time of the signature, RFC 3339 in UTC with microseconds.
    pub signed_at: String,
}

/// The contract a content belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractRef {
    pub id: String,
    /// `CPRE-2025-000042`.
    pub number: String,
    /// 1 for the first signature, 2 after an amendment…
    pub seq: i32,
    pub academic_year: String,
    /// Fingerprint of the previous signed version (amendments), chaining the versions.
    pub previous_fingerprint: Option<String>,
}

/// The course, as Moodle names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseRef {
    /// LTI context id.
    pub id: String,
    pub title: String,
    pub label: String,
}

/// The questionnaire version answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionnaireRef {
    pub key: String,
    pub version: i32,
    pub title: String,
    /// SHA-256 of the questionnaire's canonical JSON.
    pub content_hash: String,
}

/// Who signed, as the platform identified them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIdentity {
    /// The platform's user id (`sub`).
    pub sub: String,
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    /// `lis.person_sourcedid`: the student number.
    pub student_number: String,
}

impl SignedContent {
    /// The canonical JSON text and its fingerprint (lower-case hex SHA-256).
    pub fn seal(&self) -> Result<(String, String), serde_json::Error> {
        let text = canonical_json(self)?;
        let fingerprint = sha256_hex(text.as_bytes());
        Ok((text, fingerprint))
    }

    /// Reads stored content.
    pub fn read(text: &str) -> Result<SignedContent, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// Whether a stored signed content is intact: `fingerprint` is the SHA-256 of exactly this
/// text, and the text is the canonical form of what it says.
pub fn verify(text: &str, fingerprint: &str) -> bool {
    if sha256_hex(text.as_bytes()) != fingerprint {
        return false;
    }
    SignedContent::read(text)
        .ok()
        .and_then(|c| canonical_json(&c).ok())
        .is_some_and(|canonical| canonical == text)
}

/// `2025-09-15T08:30:12.123456Z`.
pub fn rfc3339(micros: i64) -> String {
    micros_to_datetime(micros).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Everything a signature writes besides the content itself.
pub struct Seal<'a> {
    pub contract: &'a ContractRow,
    /// The answers that count, as `check_complete` returned them.
    pub answers: &'a Answers,
    /// The content, without `contract.number`, `contract.seq`, `previous_fingerprint`,
    /// `signed_at` (filled here).
    pub content: SignedContent,
    pub signer_id: &'a UserId,
    /// The placement the student signed from, for the gradebook (none: no grade to send).
    pub resource_link_id: Option<&'a str>,
    pub now: i64,
}

/// What a signature produced.
#[derive(Debug, Clone)]
pub struct Signature {
    pub number: String,
    pub seq: i32,
    pub fingerprint: String,
    pub signed_at: i64,
    /// The grade outbox row, when a completion was enqueued.
    pub outbox_id: Option<String>,
}

/// Signs, in the caller's transaction: takes a number at the first signature, stores the
/// signed version and its fingerprint, makes the contract `signed`, records the event, and
/// enqueues the gradebook completion. Returns `Ok(None)` when the contract changed since the
/// caller read it (another tab or device): nothing is written.
pub fn sign(conn: &mut DbConn, seal: Seal<'_>) -> Result<Option<Signature>, ContractError> {
    let row = seal.contract;
    // First the conditional state change: a stale or concurrent signature stops here,
    // before taking a number.
    if !contracts::claim_for_signature(
        conn,
        &row.id,
        row.revision,
        &ContractState::EDITABLE,
        ContractState::Signed,
        seal.now,
    )? {
        return Ok(None);
    }
    let seq = row.signature_seq + 1;
    let number = match &row.number {
        Some(n) => n.clone(),
        None => numbering::next(conn, &row.academic_year)?,
    };
    let mut content = seal.content;
    content.format = CONTENT_FORMAT.to_owned();
    content.contract = ContractRef {
        id: row.id.to_string(),
        number: number.clone(),
        seq,
        academic_year: row.academic_year.clone(),
        previous_fingerprint: row.fingerprint.clone(),
    };
    content.answers = seal.answers.clone();
    content.signed_at = rfc3339(seal.now);
    let (text, fingerprint) = content
        .seal()
        .map_err(|e| ContractError::Corrupt(format!("signed content: {e}")))?;
    let answers = serde_json::to_string(seal.answers)
        .map_err(|e| ContractError::Corrupt(format!("answers: {e}")))?;
    contracts::record_signature(
        conn,
        &row.id,
        &SignatureUpdate {
            answers: &answers,
            number: &number,
            seq,
            signed_at: seal.now,
            fingerprint: &fingerprint,
        },
    )?;
    contracts::insert_signature(
        conn,
        &NewSignature {
            contract_id: &row.id,
            seq,
            questionnaire_version_id: &row.questionnaire_version_id,
            content: &text,
            fingerprint: &fingerprint,
            signed_at: seal.now,
            signed_by: seal.signer_id,
        },
    )?;
    contracts::add_event(
        conn,
        &row.id,
        EventKind::Signed,
        Some(seal.signer_id),
        &serde_json::json!({ "seq": seq, "number": number, "fingerprint": fingerprint }),
    )?;
    let outbox_id = match seal.resource_link_id {
        Some(link) => {
            let comment = format!(
                "Contrat {number} signé le {}",
                micros_to_datetime(seal.now).format("%d/%m/%Y à %H:%M UTC")
            );
            Some(outbox::enqueue(
                conn,
                &Completion {
                    user_id: &row.user_id,
                    resource_link_id: link,
                    contract_id: Some(&row.id),
                    completed: true,
                    comment: &comment,
                },
            )?)
        }
        None => None,
    };
    Ok(Some(Signature {
        number,
        seq,
        fingerprint,
        signed_at: seal.now,
        outbox_id,
    }))
}

/// The latest signed version of a contract, read and checked.
pub fn latest_content(
    conn: &mut DbConn,
    contract: &ContractRow,
) -> Result<Option<(SignedContent, String)>, ContractError> {
    if contract.signature_seq == 0 {
        return Ok(None);
    }
    let (content, row) = version_content(conn, contract, contract.signature_seq)?;
    Ok(Some((content, row.fingerprint)))
}

/// Signed version `seq` of a contract (1 for the first signature), read and checked against
/// its fingerprint; with its stored row (questionnaire version, fingerprint, time).
pub fn version_content(
    conn: &mut DbConn,
    contract: &ContractRow,
    seq: i32,
) -> Result<(SignedContent, contracts::SignatureRow), ContractError> {
    let Some(row) = contracts::signature(conn, &contract.id, seq)? else {
        return Err(ContractError::Store(StoreError::Corrupt(format!(
            "contract {} has no signature {seq}",
            contract.id
        ))));
    };
    if !verify(&row.content, &row.fingerprint) {
        tracing::error!(contract = %contract.id, seq = row.seq, "signed content does not match its fingerprint");
        return Err(ContractError::Tampered(contract.id.clone()));
    }
    let content = SignedContent::read(&row.content)
        .map_err(|e| ContractError::Corrupt(format!("signed content: {e}")))?;
    Ok((content, row))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::AnswerValue;

    fn sample() -> SignedContent {
        let mut answers = Answers::new();
        answers.insert("projet", AnswerValue::Text("Devenir enseignante".into()));
        answers.insert("heures", AnswerValue::Number(12.5));
        answers.insert("statuts", AnswerValue::List(vec!["salarie".into()]));
        SignedContent {
            format: CONTENT_FORMAT.into(),
            contract: ContractRef {
                id: "c1".into(),
                number: "CPRE-2025-000001".into(),
                seq: 1,
                academic_year: "2025-2026".into(),
                previous_fingerprint: None,
            },
            platform: "https://moodle.example".into(),
            course: CourseRef {
                id: "2".into(),
                title: "L1".into(),
                label: "L1".into(),
            },
            formation: Formation {
                code: "MATH".into(),
                title: "L1 Mathématiques".into(),
                attributes: Default::default(),
                lists: Default::default(),
            },
            previous_contract: false,
            questionnaire: QuestionnaireRef {
                key: "cpre-l1".into(),
                version: 1,
                title: "CPRE".into(),
                content_hash: "abc".into(),
            },
            identity: SignedIdentity {
                sub: "3".into(),
                name: "Alice Martin".into(),
                given_name: "Alice".into(),
                family_name: "Martin".into(),
                email: "alice@example.com".into(),
                student_number: "22512345".into(),
            },
            answers,
            signed_at: rfc3339(1_757_925_012_123_456),
        }
    }

    #[test]
    fn the_fingerprint_covers_every_byte_and_verifies() {
        let (text, fingerprint) = sample().seal().unwrap();
        assert_eq!(fingerprint.len(), 64);
        assert!(verify(&text, &fingerprint));
        assert!(text.starts_with("{\"answers\":"), "keys are sorted: {text}");
        assert!(!text.contains(": "), "no insignificant spaces");
        let tampered = text.replace("Devenir enseignante", "Devenir enseignant");
        assert!(!verify(&tampered, &fingerprint));
        // Same content, another (non-canonical) spelling: refused too.
        let spaced = text.replacen(':', ": ", 1);
        assert!(!verify(&spaced, &sha256_hex(spaced.as_bytes())));
        assert_eq!(SignedContent::read(&text).unwrap(), sample());
    }

    #[test]
    fn signed_at_is_utc_with_microseconds() {
        assert_eq!(
            rfc3339(1_757_925_012_123_456),
            "2025-09-15T08:30:12.123456Z"
        );
    }
}
